// The shop's Content-Security-Policy allows no inline <style>, no style attributes written
// as markup and no eval. So htmx must not add its indicator <style> element (site.css
// styles `.htmx-request` itself), must not copy `style` attributes across a swap (it
// writes them with setAttribute, which the policy refuses; no page animates a swap with
// them), and must not evaluate code written in attributes. Runs after htmx loads, before
// htmx reads its config.
htmx.config.includeIndicatorStyles = false;
htmx.config.attributesToSettle = ["class", "width", "height"];
htmx.config.allowEval = false;
