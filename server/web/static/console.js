// Our one script: it only enhances pages that work without it.
"use strict";
// Confirm before a destructive POST (delegated: live regions are replaced while the page is open).
document.addEventListener("submit", (event) => {
  const form = event.target;
  if (form instanceof HTMLFormElement && form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
    event.preventDefault();
  }
});
document.addEventListener("DOMContentLoaded", () => {
  // Live views: replace the marked region with what the server sends over SSE.
  const live = document.querySelector("[data-sse]");
  if (live && window.EventSource) {
    const source = new EventSource(live.dataset.sse);
    source.addEventListener("update", (event) => {
      live.innerHTML = event.data;
      live.setAttribute("data-updated", String(Date.now()));
    });
  }
});
