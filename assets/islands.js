// Static islands (layouts/islands.py): a part of the page no callback touches arrives as one
// element with its HTML inside instead of a tree of Dash components, so React mounts one
// component instead of dozens. The element gets the island's attributes as they are in HTML.
(function () {
  var React = window.React;
  function apply(el, attrs) {
    if (!el) { return; }
    var old = el._islandAttrs || {};
    Object.keys(old).forEach(function (k) { if (!(k in attrs)) { el.removeAttribute(k); } });
    Object.keys(attrs).forEach(function (k) {
      if (el.getAttribute(k) !== attrs[k]) { el.setAttribute(k, attrs[k]); }
    });
    el._islandAttrs = attrs;
  }
  function Island(props) {
    var attrs = props.attrs || {};
    var markup = React.useMemo(function () { return { __html: props.html || "" }; }, [props.html]);
    var ref = React.useCallback(function (el) { apply(el, attrs); }, [JSON.stringify(attrs)]);
    return React.createElement(props.tag || "div", { ref: ref, dangerouslySetInnerHTML: markup });
  }
  window.omnify_islands = { Island: Island };
})();
