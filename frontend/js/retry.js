// The page a busy server answers a form post with (templates/overloaded.html): send the same
// fields again once the server's Retry-After has passed. Without a script, the button does it.
for (const form of document.querySelectorAll("form[data-retry-after]")) {
  const seconds = Number(form.dataset.retryAfter) || 5;
  setTimeout(() => form.requestSubmit(), seconds * 1000);
}
