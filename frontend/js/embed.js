// Inside an iframe, tell the partner page how tall the content is, so that it can size the
// frame to fit: the partner listens for {type: "undersign:resize", height} messages.
(() => {
  "use strict";
  if (window.parent === window) return;
  let last = 0;
  const report = () => {
    const height = Math.ceil(document.documentElement.getBoundingClientRect().height);
    if (height === last) return;
    last = height;
    // Only a height goes out, nothing private: any origin may embed the form.
    window.parent.postMessage({ type: "undersign:resize", height, href: location.href }, "*");
  };
  new ResizeObserver(report).observe(document.documentElement);
  report();
})();
