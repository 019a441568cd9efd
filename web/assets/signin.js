// Sign-In with Ethereum through an EIP-1193 browser wallet, where one is present. The message itself comes
// from the website; this script only hands it to the wallet and the signature back to the form.
(function () {
  const status = document.getElementById("wallet-status");
  const say = (text) => { if (status) status.textContent = text; };
  const wallet = window.ethereum;
  const use = document.getElementById("use-wallet");
  const sign = document.getElementById("sign-with-wallet");
  if (!wallet) {
    if (use) use.hidden = true;
    if (sign) sign.hidden = true;
    say("No browser wallet found: use dnavault-wallet as shown below.");
    return;
  }
  if (use) use.addEventListener("click", async () => {
    try {
      const [account] = await wallet.request({ method: "eth_requestAccounts" });
      window.location.href = "/signin?address=" + encodeURIComponent(account);
    } catch (error) { say("The wallet did not share an address: " + (error.message || error)); }
  });
  if (sign) sign.addEventListener("click", async () => {
    const pre = document.getElementById("siwe-message");
    const bytes = new TextEncoder().encode(pre.textContent);
    const hex = "0x" + Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
    try {
      const signature = await wallet.request({ method: "personal_sign", params: [hex, pre.dataset.address] });
      document.getElementById("signature").value = signature;
      document.getElementById("signin").submit();
    } catch (error) { say("The wallet did not sign: " + (error.message || error)); }
  });
})();
