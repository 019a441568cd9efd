// Files an access request through an EIP-1193 browser wallet: the website built the registry call; this
// script only asks the wallet to send it from the researcher's account.
(function () {
  const button = document.getElementById("file-with-wallet");
  const status = document.getElementById("wallet-status");
  const say = (text) => { status.textContent = text; };
  const wallet = window.ethereum;
  if (!button) return;
  if (!wallet) {
    button.hidden = true;
    say("No browser wallet found: file it with dnavault-wallet as shown above.");
    return;
  }
  button.addEventListener("click", async () => {
    try {
      const [from] = await wallet.request({ method: "eth_requestAccounts" });
      const hash = await wallet.request({
        method: "eth_sendTransaction",
        params: [{ from, to: button.dataset.to, data: button.dataset.data }],
      });
      say("Filed in transaction " + hash + ": it appears under Access requests once indexed.");
    } catch (error) { say("The wallet did not send it: " + (error.message || error)); }
  });
})();
