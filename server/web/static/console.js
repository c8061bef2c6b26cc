// Our one script: it only enhances pages that work without it.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  // Confirm before a destructive POST (the server also asks on its own confirm page when this is off).
  for (const form of document.querySelectorAll("form[data-confirm]")) {
    form.addEventListener("submit", (event) => {
      if (!window.confirm(form.dataset.confirm)) event.preventDefault();
    });
  }
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
