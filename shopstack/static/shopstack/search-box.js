// The header search box's suggestions behave as a combobox (WAI-ARIA's list autocomplete
// pattern): the arrow keys move through them while focus stays in the box, Enter opens the
// one chosen, and Escape, a click elsewhere or tabbing away closes them. htmx fetches the
// list; without JavaScript the box is a plain search form.
(() => {
  const input = document.getElementById("site-search-q");
  const panel = document.getElementById("site-search-suggest");
  if (!input || !panel) return;
  const form = input.form;
  input.setAttribute("role", "combobox");
  input.setAttribute("aria-autocomplete", "list");
  input.setAttribute("aria-expanded", "false");
  let active = -1;

  const options = () => Array.from(panel.querySelectorAll('[role="option"]'));

  const choose = (index) => {
    const all = options();
    all.forEach((option, i) => option.setAttribute("aria-selected", String(i === index)));
    active = index;
    if (index >= 0) {
      input.setAttribute("aria-activedescendant", all[index].id);
      all[index].scrollIntoView({ block: "nearest" });
    } else {
      input.removeAttribute("aria-activedescendant");
    }
  };

  const close = () => {
    // A list still on its way would open the panel again after the shopper closed it.
    if (window.htmx) window.htmx.trigger(input, "htmx:abort");
    panel.replaceChildren();
    input.setAttribute("aria-expanded", "false");
    choose(-1);
  };

  document.body.addEventListener("htmx:afterSwap", (event) => {
    if (event.detail.target !== panel) return;
    active = -1;
    input.removeAttribute("aria-activedescendant");
    input.setAttribute("aria-expanded", String(options().length > 0));
  });

  input.addEventListener("keydown", (event) => {
    const all = options();
    if (event.key === "ArrowDown" && all.length) {
      event.preventDefault();
      choose((active + 1) % all.length);
    } else if (event.key === "ArrowUp" && all.length) {
      event.preventDefault();
      choose(active <= 0 ? all.length - 1 : active - 1);
    } else if (event.key === "Enter" && active >= 0) {
      event.preventDefault();
      all[active].querySelector("a").click();
    } else if (event.key === "Escape" && all.length) {
      // The first Escape closes the list; only a second one clears the box, as browsers do.
      event.preventDefault();
      close();
    }
  });

  document.addEventListener("click", (event) => {
    if (!form.contains(event.target)) close();
  });
  form.addEventListener("focusout", (event) => {
    if (event.relatedTarget && !form.contains(event.relatedTarget)) close();
  });
})();
