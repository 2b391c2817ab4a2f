// Alert mails link to /?finding=<key>: once the overview has rendered that finding, scroll to it
// and mark it (the id rule is layouts/overview.finding_dom_id). Cards above it keep rendering for
// a moment, so it is re-centred on each change for 4 s, unless the reader scrolls first.
(function () {
  var key = new URLSearchParams(window.location.search).get("finding");
  if (!key) { return; }
  var id = "finding-" + key.replace(/[^A-Za-z0-9_-]/g, "-");
  var found = null;
  var readerMoved = false;
  ["wheel", "touchstart", "keydown"].forEach(function (name) {
    window.addEventListener(name, function () { readerMoved = true; }, { once: true, passive: true });
  });
  function centre() {
    var el = document.getElementById(id);
    if (!el || readerMoved) { return; }
    if (el !== found) {
      found = el;
      el.classList.add("ov-finding-linked");
      el.setAttribute("tabindex", "-1");
      el.focus({ preventScroll: true });
    }
    el.scrollIntoView({ block: "center" });
  }
  var observer = new MutationObserver(centre);
  observer.observe(document.documentElement, { subtree: true, childList: true });
  setTimeout(function () { observer.disconnect(); centre(); }, 4000);
})();
