// Dash 4's dcc.Dropdown puts a focusable input marked aria-hidden="true" in front of its trigger
// button (Lighthouse "aria-hidden-focus"). Make the labelled trigger button itself the tab stop.
// Cheap on pages without a dropdown (the overview): one look at a live collection per batch of
// DOM changes, at most once per animation frame.
(function () {
  var wrappers = document.getElementsByClassName("dash-dropdown-wrapper");
  var queued = false;
  function fix() {
    queued = false;
    for (var i = 0; i < wrappers.length; i++) {
      var w = wrappers[i];
      var input = w.querySelector("input.dash-dropdown-focus-target");
      var button = w.querySelector("button[aria-haspopup]");
      if (!input || !button || button.disabled) { continue; }
      if (input.getAttribute("tabindex") !== "-1") { input.setAttribute("tabindex", "-1"); }
      if (button.getAttribute("tabindex") !== "0") { button.setAttribute("tabindex", "0"); }
    }
  }
  new MutationObserver(function () {
    if (queued || wrappers.length === 0) { return; }
    queued = true;
    window.requestAnimationFrame(fix);
  }).observe(document.documentElement, { subtree: true, childList: true });
})();
