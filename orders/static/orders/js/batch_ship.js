// 发货回传: once the downloaded file has arrived (its answer sets a cookie with the form's token),
// reload the page so the counts and the 已导出 message show what the download marked.
document.addEventListener("DOMContentLoaded", () => {
  const form = document.querySelector("form.batch-ship-download");
  if (!form) return;
  form.addEventListener("submit", () => {
    const token = String(Date.now());
    form.elements.download_token.value = token;
    const wanted = `batch_ship_download=${token}`;
    const timer = setInterval(() => {
      if (document.cookie.split("; ").includes(wanted)) {
        clearInterval(timer);
        document.cookie = "batch_ship_download=; Max-Age=0; path=/";
        window.location.replace(window.location.href);
      }
    }, 250);
  });
});
