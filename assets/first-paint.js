// The overview's index carries its first paint as plain HTML (#first-paint, layouts/first_paint.py)
// while Dash renders the same layout, hidden, in #react-entry-point (assets/first-paint.css).
// The moment Dash has put the page in place, the picture goes and the app shows: same classes,
// same place. Dash never rendering the page (an error) still ends it after 20 s.
(function () {
  var picture = document.getElementById("first-paint");
  if (!picture) { return; }
  var observer = null;
  function swap() {
    if (!picture) { return; }
    picture.parentNode.removeChild(picture);
    picture = null;
    if (observer) { observer.disconnect(); }
  }
  observer = new MutationObserver(function () {
    var page = document.getElementById("page");
    if (page && page.firstElementChild) { swap(); }
  });
  observer.observe(document.getElementById("react-entry-point") || document.body,
                   { childList: true, subtree: true });
  setTimeout(swap, 20000);
})();
