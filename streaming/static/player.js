// Anchor player: WHEP playback (plain WebRTC), live subtitles, viewer count and comments.
// No frameworks, no external resources: this file talks only to the server that served it.
(() => {
  "use strict";
  const $ = (id) => document.getElementById(id);
  const video = $("video"), unmute = $("unmute"), live = $("live");
  const MAX_BACKOFF_MS = 30000;

  // ---- video: a WHEP client ----------------------------------------------------------
  let pc = null;            // the current peer connection
  let resource = null;      // the viewer's WHEP resource URL (Location), for DELETE
  let backoff = 1000;
  let retryTimer = null, stallTimer = null;

  function setLive(on, text) {
    live.textContent = text || (on ? "live" : "offline");
    live.className = "badge " + (on ? "live" : "offline");
  }

  function gatheringComplete(peer, timeoutMs) {
    if (peer.iceGatheringState === "complete") return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => { clearTimeout(timer); peer.removeEventListener("icegatheringstatechange", check); resolve(); };
      const check = () => { if (peer.iceGatheringState === "complete") done(); };
      const timer = setTimeout(done, timeoutMs);   // send what we have after the timeout
      peer.addEventListener("icegatheringstatechange", check);
    });
  }

  function leave() {
    clearTimeout(stallTimer);
    if (resource) {
      fetch(resource, { method: "DELETE", keepalive: true }).catch(() => {});
      resource = null;
    }
    if (pc) { pc.close(); pc = null; }
  }

  function scheduleReconnect(why) {
    if (retryTimer) return;
    leave();
    setLive(false, "reconnecting…");
    console.info("anchor: reconnecting in", backoff, "ms:", why);
    retryTimer = setTimeout(() => { retryTimer = null; connect(); }, backoff);
    backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
  }

  async function connect() {
    setLive(false, "connecting…");
    const peer = new RTCPeerConnection({ iceServers: [] });
    pc = peer;
    peer.addTransceiver("video", { direction: "recvonly" });
    peer.addTransceiver("audio", { direction: "recvonly" });
    const stream = new MediaStream();
    peer.ontrack = (event) => {
      stream.addTrack(event.track);
      if (video.srcObject !== stream) video.srcObject = stream;
      video.play().catch(() => {});
    };
    peer.onconnectionstatechange = () => {
      if (peer !== pc) return;
      const state = peer.connectionState;
      clearTimeout(stallTimer);
      if (state === "connected") { setLive(true); backoff = 1000; }
      else if (state === "failed" || state === "closed") scheduleReconnect(state);
      else if (state === "disconnected")   // often comes back by itself; give it a moment
        stallTimer = setTimeout(() => { if (peer === pc) scheduleReconnect(state); }, 5000);
    };
    try {
      await peer.setLocalDescription(await peer.createOffer());
      await gatheringComplete(peer, 3000);
      const response = await fetch("/whep", {
        method: "POST", headers: { "Content-Type": "application/sdp" },
        body: peer.localDescription.sdp,
      });
      if (response.status !== 201) throw new Error("WHEP answered " + response.status);
      resource = new URL(response.headers.get("Location"), location.href).href;
      const answer = await response.text();
      if (peer !== pc) return;
      await peer.setRemoteDescription({ type: "answer", sdp: answer });
    } catch (err) {
      if (peer === pc) scheduleReconnect(String(err));
    }
  }

  function showUnmute() { unmute.hidden = !video.muted; }
  unmute.addEventListener("click", () => {
    video.muted = false;
    video.play().catch(() => {});
    showUnmute();
  });
  video.addEventListener("volumechange", showUnmute);
  window.addEventListener("pagehide", leave);

  // ---- page events and comments: one WebSocket ------------------------------------------
  let ws = null, wsBackoff = 1000;
  const subtitle = $("subtitle"), viewers = $("viewers"), ack = $("ack"), answers = $("answers");

  function setViewers(n) { viewers.textContent = n + " watching"; }

  function showAck(message) {
    if (message.ok) { ack.textContent = "Sent — the presenter will answer soon."; ack.className = "ack ok"; }
    else if (message.rate_limited) { ack.textContent = "Too fast — please wait a moment."; ack.className = "ack slow"; }
    else { ack.textContent = "Refused: " + (message.message || message.reason || "not allowed"); ack.className = "ack refused"; }
  }

  function addAnswer(question, text) {
    const item = document.createElement("li");
    if (question) {
      const q = document.createElement("span");
      q.className = "q"; q.textContent = question;
      item.appendChild(q);
    }
    item.appendChild(document.createTextNode(text));
    answers.prepend(item);
    while (answers.children.length > 20) answers.lastElementChild.remove();
  }

  function onEvent(message) {
    switch (message.type) {
      case "hello":
        if (message.title) { $("title").textContent = message.title; document.title = message.title + " · live"; }
        if (message.language) document.documentElement.lang = message.language;
        if (typeof message.viewers === "number") setViewers(message.viewers);
        break;
      case "subtitle": subtitle.textContent = message.text || ""; break;
      case "viewers": setViewers(message.count); break;
      case "answer": addAnswer(message.question, message.text); break;
      case "comment_ack": showAck(message); break;
    }
  }

  function openSocket() {
    const scheme = location.protocol === "https:" ? "wss://" : "ws://";
    const socket = new WebSocket(scheme + location.host + "/ws");
    ws = socket;
    socket.onopen = () => { wsBackoff = 1000; };
    socket.onmessage = (event) => {
      try { onEvent(JSON.parse(event.data)); } catch (err) { console.warn("anchor: bad event", err); }
    };
    socket.onclose = () => {
      if (ws !== socket) return;
      ws = null;
      setTimeout(openSocket, wsBackoff);
      wsBackoff = Math.min(wsBackoff * 2, MAX_BACKOFF_MS);
    };
  }

  async function sendComment(text) {
    if (ws && ws.readyState === WebSocket.OPEN) {
      ws.send(JSON.stringify({ type: "comment", text }));
      return;
    }
    try {   // no socket right now: the HTTP endpoint does the same
      const response = await fetch("/api/comments", {
        method: "POST", headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ text }),
      });
      const verdict = await response.json();
      showAck({ ...verdict, rate_limited: response.status === 429 });
    } catch (err) {
      showAck({ ok: false, message: "offline, try again" });
    }
  }

  $("comment-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const input = $("comment");
    const text = input.value.trim();
    if (!text) return;
    input.value = "";
    sendComment(text);
  });

  // for the curious (and for tests): the live peer connection, to read getStats() from
  window.anchorPlayer = { peer: () => pc, socket: () => ws };

  showUnmute();
  openSocket();
  // after "load": a media element waiting for a stream would otherwise hold up the page's load
  if (document.readyState === "complete") connect();
  else window.addEventListener("load", connect, { once: true });
})();
