// Dash 4's dcc.Dropdown puts a focusable input marked aria-hidden="true" in front of its trigger
// button (Lighthouse "aria-hidden-focus"). Make the labelled trigger button itself the tab stop.
(function () {
  function fix() {
    document.querySelectorAll(".dash-dropdown-wrapper").forEach(function (w) {
      var input = w.querySelector("input.dash-dropdown-focus-target");
      var button = w.querySelector("button[aria-haspopup]");
      if (!input || !button || button.disabled) { return; }
      if (input.getAttribute("tabindex") !== "-1") { input.setAttribute("tabindex", "-1"); }
      if (button.getAttribute("tabindex") !== "0") { button.setAttribute("tabindex", "0"); }
    });
  }
  new MutationObserver(fix).observe(document.documentElement, { subtree: true, childList: true });
})();
