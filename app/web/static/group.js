// The live group page: redraws the group from its Server-Sent Events stream and pledges through
// the API with the consumer's key. What it draws mirrors app/web/display.py.
(() => {
  "use strict";
  const root = document.getElementById("group");
  if (!root) return;
  const $ = (id) => document.getElementById(id);
  const EXP = Number(root.dataset.exponent);
  const STORE = "pool.consumer_key";
  const LABELS = { open: "Open", confirmed: "Confirmed", failed: "Failed", cancelled: "Cancelled" };
  let group = JSON.parse($("group-data").textContent);

  // ---- what to draw ----------------------------------------------------------------------
  function money(minor, currency) {
    if (minor === null || minor === undefined) return "—";
    const unit = 10 ** EXP;
    const abs = Math.abs(minor);
    const whole = Math.floor(abs / unit).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ",");
    const fraction = EXP ? "." + String(abs % unit).padStart(EXP, "0") : "";
    return `${minor < 0 ? "-" : ""}${whole}${fraction} ${currency}`;
  }

  function currentIndex(tiers, total) {
    let index = null;
    tiers.forEach((tier, i) => { if (tier.min_quantity <= total) index = i; });
    return index;
  }

  // The step to highlight: while open, the tier the pledged total reached; once confirmed, the
  // step of the clearing price (on the winning offer's ladder); none for failed or cancelled.
  function highlightedIndex(g) {
    if (g.status === "open") return currentIndex(g.tiers, g.total_quantity);
    if (g.status !== "confirmed" || g.current_unit_price === null) return null;
    const atPrice = [];
    g.tiers.forEach((tier, i) => { if (tier.unit_price === g.current_unit_price) atPrice.push(i); });
    // tiers may share a price: the last one the pledges reached, else the first of them
    const reached = atPrice.filter((i) => g.tiers[i].min_quantity <= g.total_quantity);
    if (reached.length) return reached[reached.length - 1];
    return atPrice.length ? atPrice[0] : null;
  }

  function display(g) {
    const tiers = g.tiers;
    const isOpen = g.status === "open";
    const index = highlightedIndex(g);
    const prices = tiers.map((t) => t.unit_price);
    const low = Math.min(...prices);
    const high = Math.max(...prices);
    const steps = tiers.map((t, i) => ({
      min_quantity: t.min_quantity,
      unit_price: t.unit_price,
      state: index === null || i > index ? "ahead" : i === index ? "current" : "reached",
      // the cheapest tier 30 %, the dearest 100 % (as display.py's height)
      height: high === low ? 100 : 30 + Math.floor((70 * (t.unit_price - low)) / (high - low)),
    }));
    let progress = 0;
    if (!isOpen) progress = null;
    else if (tiers.length && g.next_break === null) progress = 100;
    else if (tiers.length) {
      const base = index === null ? 0 : tiers[index].min_quantity;
      const span = g.next_break.min_quantity - base;
      progress = Math.max(0, Math.min(100, Math.floor((100 * (g.total_quantity - base)) / span)));
    }
    const price = g.current_unit_price !== null ? money(g.current_unit_price, g.currency)
      : isOpen ? "No price yet" : "—";
    const heading = isOpen ? "Price now" : "Final price";
    return { heading, price, progress, sentence: sentence(g), steps };
  }

  function sentence(g) {
    if (g.status === "confirmed") return `Closed: everyone pays ${money(g.current_unit_price, g.currency)}.`;
    if (g.status === "failed") return "This group failed.";
    if (g.status === "cancelled") return "Cancelled.";
    if (!g.tiers.length) return "No offer yet: manufacturers are invited to bid.";
    if (g.next_break === null) return `Best price reached: everyone pays ${money(g.current_unit_price, g.currency)}.`;
    const units = g.next_break.units_needed;
    return `${units} more ${units === 1 ? "unit" : "units"} and everyone pays ${money(g.next_break.unit_price, g.currency)}.`;
  }

  function timeLeft(deadline) {
    let seconds = Math.floor((Date.parse(deadline) - Date.now()) / 1000);
    if (seconds <= 0) return "closing now";
    const days = Math.floor(seconds / 86400); seconds %= 86400;
    const hours = Math.floor(seconds / 3600); seconds %= 3600;
    const minutes = Math.floor(seconds / 60); seconds %= 60;
    if (days) return `${days} d ${hours} h left`;
    if (hours) return `${hours} h ${minutes} min left`;
    return `${minutes} min ${seconds} s left`;
  }

  // ---- drawing ----------------------------------------------------------------------------
  function setText(id, text) {
    const node = $(id);
    if (node.textContent === text) return;
    node.textContent = text;
    node.classList.remove("flash");
    void node.offsetWidth; // restart the highlight
    node.classList.add("flash");
  }

  function drawLadder(steps, currency) {
    const ladder = $("ladder");
    ladder.replaceChildren(...steps.map((step) => {
      const item = document.createElement("li");
      item.className = `step ${step.state}`;
      if (step.state === "current") item.setAttribute("aria-current", "step");
      const bar = document.createElement("span");
      bar.className = "bar";
      bar.style.height = `${step.height}%`;
      const price = document.createElement("span");
      price.className = "p";
      price.textContent = money(step.unit_price, currency);
      const quantity = document.createElement("span");
      quantity.className = "q";
      quantity.textContent = `from ${step.min_quantity} units`;
      item.append(bar, price, quantity);
      return item;
    }));
  }

  function render(g) {
    const view = display(g);
    setText("price-heading", view.heading);
    setText("price", view.price);
    $("per").hidden = g.current_unit_price === null;
    $("progress").hidden = view.progress === null;
    $("bar").style.width = `${view.progress || 0}%`;
    $("progress").setAttribute("aria-valuenow", String(view.progress || 0));
    setText("next", view.sentence);
    setText("total", String(g.total_quantity));
    setText("participants", String(g.participant_count));
    const status = $("status");
    status.textContent = LABELS[g.status] || g.status;
    status.className = `badge status-${g.status}`;
    drawLadder(view.steps, g.currency);
    $("ladder").classList.toggle("closed", g.status !== "open");
    $("no-offer").hidden = g.tiers.length > 0;
    $("join-section").hidden = g.status !== "open";
    group = g;
    tick();
  }

  function tick() {
    $("left").textContent = group.status === "open" ? timeLeft(group.deadline) : "closed";
  }

  // ---- live updates -------------------------------------------------------------------------
  const live = (text) => { $("live").textContent = text; };

  function follow() {
    if (group.status !== "open" || !("EventSource" in window)) return;
    const source = new EventSource(`/v1/groups/${group.id}/stream`);
    source.addEventListener("open", () => live("Live: this page updates by itself."));
    source.addEventListener("group", (event) => {
      render(JSON.parse(event.data));
      if (group.status !== "open") { source.close(); live("This group has closed."); }
    });
    source.addEventListener("error", () => {
      if (source.readyState !== EventSource.CLOSED) { live("Reconnecting…"); return; }
      live("Live updates paused; retrying shortly.");
      setTimeout(follow, 5000); // refused (busy) streams are not retried by the browser
    });
  }

  // ---- pledging ---------------------------------------------------------------------------------
  function parseMoney(text) {
    let value = text.trim().replace(/\s/g, "");
    if (!value.includes(".") && /^\d+,\d+$/.test(value)) value = value.replace(",", ".");
    const match = new RegExp(`^(\\d{1,10})(?:\\.(\\d{0,${EXP}}))?$`).exec(value.replace(/,/g, ""));
    if (!match) return NaN;
    return Number(match[1]) * 10 ** EXP + Number((match[2] || "").padEnd(EXP, "0") || "0");
  }

  function newKey() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    const bytes = crypto.getRandomValues(new Uint8Array(16));
    return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  function storage(action, value) {
    try {
      if (action === "get") return localStorage.getItem(STORE);
      if (action === "set") localStorage.setItem(STORE, value);
      else localStorage.removeItem(STORE);
    } catch { /* storage disabled: nothing kept */ }
    return null;
  }

  // A link may carry the key as `#key=pool_con_…`: browsers never send the fragment to a server,
  // so it reaches no access log. The key goes into the form and leaves the address bar. A key in
  // the query string (`?key=`) is never used: it was sent, and logged; it only leaves the bar.
  function takeKeyFromFragment() {
    const query = new URLSearchParams(location.search);
    const given = new URLSearchParams(location.hash.slice(1)).get("key");
    if (given) $("key").value = given;
    if (!given && !query.has("key")) return;
    query.delete("key");
    const rest = query.toString();
    history.replaceState(null, "", location.pathname + (rest ? `?${rest}` : ""));
  }

  function setupForm() {
    const form = $("join");
    const keyInput = $("key");
    keyInput.value = storage("get") || "";
    takeKeyFromFragment();
    window.addEventListener("hashchange", takeKeyFromFragment);
    form.hidden = false;
    let pending = null; // the same pledge retried after a network error keeps its Idempotency-Key
    const fail = (text, field) => { $("join-error").textContent = text; if (field) $(field).focus(); };

    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      $("join-error").textContent = "";
      $("join-result").textContent = "";
      const key = keyInput.value.trim();
      if (!key) return fail("Paste your consumer API key first.", "key");
      const quantity = Number($("quantity").value);
      if (!Number.isInteger(quantity) || quantity < 1) return fail("Units must be a whole number, 1 or more.", "quantity");
      const body = { quantity };
      if ($("limit").value.trim()) {
        const limit = parseMoney($("limit").value);
        if (!(limit > 0)) return fail(`Write the price like 9.50 (${group.currency}).`, "limit");
        body.max_unit_price = limit;
      }
      storage($("remember").checked ? "set" : "remove", key);
      const signature = key + JSON.stringify(body);
      if (!pending || pending.signature !== signature) pending = { signature, idempotency: newKey() };
      const button = $("join-button");
      button.disabled = true;
      try {
        const response = await fetch(`/v1/groups/${group.id}/intents`, {
          method: "POST",
          headers: {
            Authorization: `Bearer ${key}`,
            "Content-Type": "application/json",
            "Idempotency-Key": pending.idempotency,
          },
          body: JSON.stringify(body),
        });
        pending = null;
        const answer = await response.json().catch(() => ({}));
        if (!response.ok) return fail(answer.detail || answer.title || `The server answered ${response.status}.`);
        const noun = answer.quantity === 1 ? "unit" : "units";
        $("join-result").textContent =
          `You pledged ${answer.quantity} ${noun}, paying at most ${money(answer.max_unit_price, group.currency)} each.`;
      } catch {
        fail("The server could not be reached; try again.");
      } finally {
        button.disabled = false;
      }
    });
  }

  setupForm();
  render(group);
  setInterval(tick, 1000);
  follow();
})();
