// Loaded without `defer`, right after the facets' <details>, so that a phone never paints
// the facets open above the results: folded on narrow screens, always open on wide ones.
(() => {
  const facets = document.currentScript.previousElementSibling;
  const wide = matchMedia("(min-width: 768px)");
  const fit = () => {
    facets.open = wide.matches;
    facets.querySelector("summary").tabIndex = wide.matches ? -1 : 0;
  };
  fit();
  wide.addEventListener("change", fit);
  facets.addEventListener("toggle", () => {
    if (wide.matches && !facets.open) facets.open = true;
  });
})();

// Choosing another order re-sorts at once; without JavaScript the form has a Sort button.
// Delegated, because the results (and the select with them) may be swapped in later.
document.addEventListener("change", (event) => {
  if (event.target.id === "search-sort") event.target.form.requestSubmit();
});
