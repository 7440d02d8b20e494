// Start DKFDS's components once the page is parsed (no inline scripts: see the CSP).
document.addEventListener("DOMContentLoaded", function () {
  if (window.DKFDS && typeof window.DKFDS.init === "function") {
    window.DKFDS.init();
  }
});
