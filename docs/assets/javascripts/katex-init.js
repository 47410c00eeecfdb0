// Render the \( \) and \[ \] that pymdownx.arithmatex (generic mode) leaves in the page.
// Subscribed to Material's document$, so math renders again after instant navigation.
document$.subscribe(({ body }) => {
  renderMathInElement(body, {
    delimiters: [
      { left: "\\(", right: "\\)", display: false },
      { left: "\\[", right: "\\]", display: true },
    ],
    throwOnError: false,
  });
});
