/* PNG downloads of the server-rendered SVG charts (the SVG and the data tables need no script). */
(function () {
  "use strict";
  document.querySelectorAll("[data-png]").forEach((button) => {
    button.addEventListener("click", () => {
      const svg = button.closest("figure").querySelector("svg");
      const width = Number(svg.getAttribute("width")), height = Number(svg.getAttribute("height"));
      const blob = new Blob([new XMLSerializer().serializeToString(svg)], { type: "image/svg+xml" });
      const url = URL.createObjectURL(blob);
      const image = new Image();
      image.onload = () => {
        const canvas = document.createElement("canvas");
        const scale = 2;  // crisp on slides and in print
        canvas.width = width * scale;
        canvas.height = height * scale;
        const context = canvas.getContext("2d");
        context.fillStyle = "#ffffff";
        context.fillRect(0, 0, canvas.width, canvas.height);
        context.scale(scale, scale);
        context.drawImage(image, 0, 0, width, height);
        URL.revokeObjectURL(url);
        canvas.toBlob((png) => {
          const link = document.createElement("a");
          link.href = URL.createObjectURL(png);
          link.download = button.dataset.png;
          document.body.appendChild(link);
          link.click();
          link.remove();
        }, "image/png");
      };
      image.src = url;
    });
  });
})();
