// Action cards (layouts/overview.action_item) arrive without their decision footer: the first
// time a card is opened, its <details> reports `open` to Dash and the page's callback renders
// the buttons and the shared status into it (five fewer components per card at load).
// `toggle` does not bubble: listen in the capture phase.
//
// The cards a reader has open are remembered here, so that when the overview renders again
// (a newer brain state arrives, another period is chosen) `omnifyReopenCards` opens them again
// instead of collapsing what they were reading; a card closed by hand is forgotten.
(function () {
  var openCards = new Set();
  document.addEventListener("toggle", function (event) {
    var el = event.target;
    if (!el || !el.classList || !el.classList.contains("ov-action-details")) { return; }
    if (!el.open) { openCards.delete(el.id); return; }
    openCards.add(el.id);
    var footer = el.querySelector(".ov-action-footer");
    if (!footer || footer.childElementCount > 0) { return; }  // already rendered
    var id;
    try { id = JSON.parse(el.id); } catch (err) { return; }
    var dc = window.dash_clientside;
    if (!id || id.type !== "action-card" || !dc || !dc.set_props) { return; }
    dc.set_props(id, { open: true });
  }, true);

  // React replaces the cards some frames after the new body reaches the store: look for the
  // new (closed) copies for two seconds. An action no longer in the new state stays absent.
  window.omnifyReopenCards = function () {
    if (!openCards.size) { return; }
    var ticks = 0;
    (function reopen() {
      openCards.forEach(function (cardId) {
        var el = document.getElementById(cardId);
        if (el && !el.open) { el.open = true; }  // its toggle event renders the footer
      });
      if (++ticks < 20) { setTimeout(reopen, 100); }
    })();
  };
})();
