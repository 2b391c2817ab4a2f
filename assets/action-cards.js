// Action cards (layouts/overview.action_item) arrive without their decision footer: the first
// time a card is opened, its <details> reports `open` to Dash and the page's callback renders
// the buttons and the shared status into it (five fewer components per card at load).
// `toggle` does not bubble: listen in the capture phase.
(function () {
  document.addEventListener("toggle", function (event) {
    var el = event.target;
    if (!el || !el.open || !el.classList || !el.classList.contains("ov-action-details")) { return; }
    var footer = el.querySelector(".ov-action-footer");
    if (!footer || footer.childElementCount > 0) { return; }  // already rendered
    var id;
    try { id = JSON.parse(el.id); } catch (err) { return; }
    var dc = window.dash_clientside;
    if (!id || id.type !== "action-card" || !dc || !dc.set_props) { return; }
    dc.set_props(id, { open: true });
  }, true);
})();
