/* Fits Undersign's frames to their form on a partner's page, with nothing inline there:
 *   <script src="https://sign.example.org/frame.js" defer></script>
 *   <iframe src="https://sign.example.org/embed/slug?lang=ru&source=partner-code" title="…"></iframe>
 *
 * For pages whose Content-Security-Policy allows no inline script or style (script-src 'self'
 * https://sign.example.org; style-src 'self'): sizes set from a script are not inline styles.
 * The form inside (frontend/js/embed.js) tells its height; only this service's frames are
 * touched, and only from this service's messages. No globals: one closure, one listener.
 */
(() => {
  "use strict";

  const SERVICE = new URL(document.currentScript ? document.currentScript.src : location.href).origin;
  const ours = (frame) => {
    try {
      const src = new URL(frame.src, location.href);
      return src.origin === SERVICE && src.pathname.startsWith("/embed/");
    } catch {
      return false;
    }
  };

  // The look the inline snippet gave with style="width: 100%; border: 0".
  const fit = (frame) => {
    frame.style.width = "100%";
    frame.style.border = "0";
  };

  const frames = () => Array.from(document.querySelectorAll("iframe")).filter(ours);

  addEventListener("message", (event) => {
    if (event.origin !== SERVICE || !event.data || event.data.type !== "undersign:resize") return;
    const height = Number(event.data.height);
    if (!Number.isFinite(height) || height <= 0) return;
    for (const frame of frames()) {
      if (frame.contentWindow !== event.source) continue;
      fit(frame);
      frame.style.height = `${Math.ceil(height)}px`;
    }
  });

  const fitAll = () => frames().forEach(fit);
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", fitAll);
  else fitAll();
})();
