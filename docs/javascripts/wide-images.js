// An image shrunk to fit the column opens at its full size when clicked: a link to the image
// file itself, added once the image is loaded (its natural width is known only then).
function linkWideImages() {
  for (const img of document.querySelectorAll(".md-typeset img")) {
    const link = () => {
      if (img.closest("a") || img.naturalWidth <= img.clientWidth) return;
      const a = document.createElement("a");
      a.href = img.src;
      a.className = "wide-image";
      a.title = "Open at full size";
      img.replaceWith(a);
      a.appendChild(img);
    };
    if (img.complete) link();
    else img.addEventListener("load", link, { once: true });
  }
}
document.addEventListener("DOMContentLoaded", linkWideImages);
