// Typeset the maths of pymdownx.arithmatex (generic mode) with the KaTeX bundled in
// docs/assets/katex/ (no CDN: the site reads offline). Material's document$ fires on
// every page load, including instant navigation.
(function () {
  function typeset(root) {
    renderMathInElement(root, {
      delimiters: [
        { left: "\\(", right: "\\)", display: false },
        { left: "\\[", right: "\\]", display: true },
      ],
      throwOnError: false,
    });
  }
  if (typeof document$ !== "undefined") {
    document$.subscribe(function (page) { typeset(page.body); });
  } else {
    document.addEventListener("DOMContentLoaded", function () { typeset(document.body); });
  }
})();
