// 粘贴下单: 添加一行 adds a line from the formset's empty form; Django's autocomplete.js turns its
// item picker into the admin's autocomplete when the row announces itself with formset:added.
document.addEventListener("DOMContentLoaded", () => {
  const button = document.getElementById("add-chat-line");
  if (!button) return;
  button.addEventListener("click", () => {
    const total = document.getElementById("id_lines-TOTAL_FORMS");
    const index = Number(total.value);
    const html = document.getElementById("chat-line-template").innerHTML.replace(/__prefix__/g, String(index));
    const body = document.querySelector("#chat-lines tbody");
    body.insertAdjacentHTML("beforeend", html);
    total.value = String(index + 1);
    body.lastElementChild.dispatchEvent(new CustomEvent("formset:added", { bubbles: true, detail: { formsetName: "lines" } }));
  });
});
