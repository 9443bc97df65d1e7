// The review page's keys: A accept, C correct, R reject, N next; never while typing.
document.addEventListener("keydown", function (event) {
  if (event.ctrlKey || event.metaKey || event.altKey) return;
  if (event.target.closest("input, textarea, select")) return;
  var target = {a: 'button[value="accept"]', c: 'button[value="correct"]',
                r: 'button[value="reject"]', n: 'a[accesskey="n"]'}[event.key];
  var element = target && document.querySelector(target);
  if (element) { event.preventDefault(); element.click(); }
});
