// Progressive enhancement: a "copy" button beside each citation and permanent link. The
// target is a field (its value), a link (its absolute href) or wrapped text (its text).
function copiedText(element) {
  if ("value" in element && element.tagName !== "BUTTON") return element.value;
  if (element.tagName === "A") return element.href;
  return element.textContent.trim();
}

document.querySelectorAll("[data-copy-target]").forEach((button) => {
  const target = document.getElementById(button.dataset.copyTarget);
  if (!target || !navigator.clipboard) return;
  button.hidden = false;
  button.addEventListener("click", async () => {
    await navigator.clipboard.writeText(copiedText(target));
    const label = button.textContent;
    button.textContent = button.dataset.copiedLabel || label;
    setTimeout(() => { button.textContent = label; }, 2000);
  });
});
