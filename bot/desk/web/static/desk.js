// wargabot desk: zoom and rotate a document photo (no inline scripts: the page's CSP forbids them).
"use strict";
document.addEventListener("click", function (event) {
  var button = event.target.closest("figure.page button");
  if (!button) return;
  var img = button.closest("figure.page").querySelector("img");
  var zoom = parseFloat(img.dataset.zoom || "1");
  var turn = parseInt(img.dataset.rotate || "0", 10);
  if (button.classList.contains("zoom-in")) zoom = Math.min(zoom * 1.5, 6);
  if (button.classList.contains("zoom-out")) zoom = Math.max(zoom / 1.5, 1);
  if (button.classList.contains("rotate")) turn = (turn + 90) % 360;
  img.dataset.zoom = String(zoom);
  img.dataset.rotate = String(turn);
  img.style.maxWidth = zoom > 1 ? "none" : "100%";
  img.style.width = zoom > 1 ? (zoom * 100) + "%" : "";
  img.style.transform = turn ? "rotate(" + turn + "deg)" : "";
});
