// dutyflow web console: small progressive enhancements; every page works without this file.
document.addEventListener("click", (event) => {
  const target = event.target.closest("[data-print]");
  if (target) { event.preventDefault(); window.print(); }
  const confirmTarget = event.target.closest("[data-confirm]");
  if (confirmTarget && !window.confirm(confirmTarget.dataset.confirm)) { event.preventDefault(); }
});
