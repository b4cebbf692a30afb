/*
 * Concilia — the hearing room page (templates/hearings/room/_before.html).
 *
 *  1. Countdown to the room's opening and to the start, on the server's clock (the page carries the
 *     server's time; a wrong clock on the device does not matter). When the room opens the page
 *     reloads itself, and the server then gives it the room.
 *  2. Equipment check: camera preview, microphone level meter, a test tone for the speaker, the
 *     choice of camera and microphone. getUserMedia / enumerateDevices / Web Audio, nothing sent.
 *  3. The room: external_api.js is loaded from the Jitsi server only when the person presses
 *     "Join". Options (with the person's token) come from the server in #jitsi-options.
 *  4. Attendance: the IFrame API's own join/leave (and, on the conciliator's page, the others'
 *     joins and leaves) are POSTed to the server with the CSRF token; the leave on closing the page
 *     with keepalive. The server times them and ignores repeats.
 *
 * Every message comes translated from data-msg-* attributes on #hearing-room.
 */
(function () {
  "use strict";

  var root = document.getElementById("hearing-room");
  if (!root) return;

  function msg(name, fallback) {
    return root.getAttribute("data-msg-" + name) || fallback || "";
  }
  function $(selector) {
    return root.querySelector(selector);
  }
  var lang = (root.getAttribute("data-lang") || "es").toLowerCase();

  /* 1. Countdown ------------------------------------------------------------------------------ */
  var serverNow = Date.parse(root.getAttribute("data-server-now"));
  var offset = isNaN(serverNow) ? 0 : serverNow - Date.now();
  function now() {
    return Date.now() + offset;
  }
  var phase = root.getAttribute("data-phase");
  var opensAt = Date.parse(root.getAttribute("data-opens-at"));
  var startsAt = Date.parse(root.getAttribute("data-starts-at"));
  var countdown = $("[data-countdown]");

  function unit(value, name) {
    try {
      return new Intl.NumberFormat(lang, { style: "unit", unit: name, unitDisplay: "long" }).format(value);
    } catch (e) {
      return value + " " + name + (value === 1 ? "" : "s");
    }
  }
  function duration(ms) {
    var s = Math.max(0, Math.floor(ms / 1000));
    var days = Math.floor(s / 86400);
    var hours = Math.floor((s % 86400) / 3600);
    var minutes = Math.floor((s % 3600) / 60);
    var parts = [];
    if (days) parts.push(unit(days, "day"));
    if (days || hours) parts.push(unit(hours, "hour"));
    parts.push(unit(minutes, "minute"));
    if (!days && !hours) parts.push(unit(s % 60, "second"));
    return parts.join(" ");
  }
  function tick() {
    if (!countdown) return;
    var t = now();
    if (phase === "before") {
      // A couple of seconds' margin so the server agrees the room is open when the page comes back.
      if (t >= opensAt + 2000) {
        countdown.textContent = msg("opening");
        window.location.reload();
        return;
      }
      countdown.textContent = msg("opens-in").replace("{time}", duration(opensAt - t));
    } else {
      countdown.textContent = t < startsAt ? msg("starts-in").replace("{time}", duration(startsAt - t)) : msg("started");
    }
    window.setTimeout(tick, 1000);
  }
  if (!isNaN(opensAt) && !isNaN(startsAt)) tick();

  /* 2. Equipment check -------------------------------------------------------------------------- */
  var check = {
    stream: null,
    audio: null,
    frame: 0,
    status: $("[data-check-status]"),
    panel: $("[data-check-panel]"),
    video: $("[data-check-video]"),
    meter: $("[data-check-meter]"),
    camera: $("[data-check-camera]"),
    mic: $("[data-check-mic]"),
    start: $("[data-check-start]"),
    stop: $("[data-check-stop]"),
    sound: $("[data-check-sound]"),
  };
  function say(text) {
    if (check.status) check.status.textContent = text;
  }
  function mediaSupported() {
    return !!(navigator.mediaDevices && navigator.mediaDevices.getUserMedia);
  }
  function audioContext() {
    var Context = window.AudioContext || window.webkitAudioContext;
    if (!Context) return null;
    if (!check.audio) check.audio = new Context();
    if (check.audio.state === "suspended" && check.audio.resume) check.audio.resume();
    return check.audio;
  }
  function problem(error) {
    var name = (error && error.name) || "";
    if (name === "NotAllowedError" || name === "PermissionDeniedError" || name === "SecurityError") return msg("check-denied");
    if (name === "NotFoundError" || name === "DevicesNotFoundError" || name === "OverconstrainedError") return msg("check-none");
    if (name === "NotReadableError" || name === "TrackStartError" || name === "AbortError") return msg("check-busy");
    return msg("check-failed");
  }
  function stopStream() {
    if (check.stream) {
      check.stream.getTracks().forEach(function (track) { track.stop(); });
    }
    check.stream = null;
    if (check.frame) window.cancelAnimationFrame(check.frame);
    check.frame = 0;
    if (check.meter) check.meter.value = 0;
    if (check.video) check.video.srcObject = null;
  }
  function showLevel(stream) {
    var context = stream.getAudioTracks().length ? audioContext() : null;
    if (!context || !check.meter) return;
    var analyser = context.createAnalyser();
    analyser.fftSize = 512;
    // Into the analyser only, never to the speakers (that would whistle).
    context.createMediaStreamSource(stream).connect(analyser);
    var samples = new Uint8Array(analyser.fftSize);
    (function measure() {
      analyser.getByteTimeDomainData(samples);
      var peak = 0;
      for (var i = 0; i < samples.length; i++) peak = Math.max(peak, Math.abs(samples[i] - 128) / 128);
      check.meter.value = Math.min(1, peak * 2);
      check.frame = window.requestAnimationFrame(measure);
    })();
  }
  function fill(select, devices, currentId) {
    if (!select) return;
    select.innerHTML = "";
    devices.forEach(function (device, index) {
      var option = document.createElement("option");
      option.value = device.deviceId;
      option.textContent = device.label || msg("device", "Device {n}").replace("{n}", index + 1);
      option.selected = device.deviceId === currentId;
      select.appendChild(option);
    });
    select.disabled = devices.length === 0;
  }
  function trackDevice(tracks) {
    var settings = tracks.length && tracks[0].getSettings ? tracks[0].getSettings() : {};
    return settings.deviceId || "";
  }
  function listDevices(stream) {
    if (!navigator.mediaDevices.enumerateDevices) return;
    navigator.mediaDevices.enumerateDevices().then(function (devices) {
      fill(check.camera, devices.filter(function (d) { return d.kind === "videoinput"; }), trackDevice(stream.getVideoTracks()));
      fill(check.mic, devices.filter(function (d) { return d.kind === "audioinput"; }), trackDevice(stream.getAudioTracks()));
    });
  }
  function startCheck(constraints) {
    if (!mediaSupported()) {
      say(msg("check-unsupported"));
      return;
    }
    say(msg("check-asking"));
    stopStream();
    navigator.mediaDevices
      .getUserMedia(constraints || { audio: true, video: true })
      .catch(function (error) {
        // No camera at all: the microphone alone is still worth checking (audio-only is fine).
        if (!constraints && error && (error.name === "NotFoundError" || error.name === "OverconstrainedError")) {
          return navigator.mediaDevices.getUserMedia({ audio: true });
        }
        throw error;
      })
      .then(function (stream) {
        check.stream = stream;
        var hasVideo = stream.getVideoTracks().length > 0;
        if (check.panel) check.panel.hidden = false;
        if (check.stop) check.stop.hidden = false;
        if (check.video) {
          check.video.hidden = !hasVideo;
          check.video.srcObject = stream;
        }
        showLevel(stream);
        listDevices(stream);
        say(hasVideo ? msg("check-ok") : msg("check-audio-only"));
      })
      .catch(function (error) {
        say(problem(error));
      });
  }
  function chosen(select) {
    return select && select.value ? { deviceId: { exact: select.value } } : true;
  }
  function restartWithChoice() {
    startCheck({ video: check.camera && check.camera.options.length ? chosen(check.camera) : false, audio: chosen(check.mic) });
  }
  function stopCheck(announce) {
    stopStream();
    if (check.panel) check.panel.hidden = true;
    if (check.stop) check.stop.hidden = true;
    if (announce) say(msg("check-stopped"));
  }
  function playTone() {
    var context = audioContext();
    if (!context) {
      say(msg("sound-failed"));
      return;
    }
    try {
      var oscillator = context.createOscillator();
      var gain = context.createGain();
      var t = context.currentTime;
      oscillator.frequency.value = 440;
      gain.gain.setValueAtTime(0.0001, t);
      gain.gain.exponentialRampToValueAtTime(0.25, t + 0.05);
      gain.gain.setValueAtTime(0.25, t + 1.8);
      gain.gain.exponentialRampToValueAtTime(0.0001, t + 2);
      oscillator.connect(gain);
      gain.connect(context.destination);
      oscillator.start(t);
      oscillator.stop(t + 2);
      say(msg("sound-playing"));
    } catch (e) {
      say(msg("sound-failed"));
    }
  }
  if (check.start) check.start.addEventListener("click", function () { startCheck(); });
  if (check.stop) check.stop.addEventListener("click", function () { stopCheck(true); });
  if (check.sound) check.sound.addEventListener("click", playTone);
  if (check.camera) check.camera.addEventListener("change", restartWithChoice);
  if (check.mic) check.mic.addEventListener("change", restartWithChoice);
  if (!mediaSupported()) say(msg("check-unsupported"));

  /* 3. The room, and 4. attendance -------------------------------------------------------------- */
  var optionsElement = document.getElementById("jitsi-options");
  var join = $("[data-join-form]");
  if (!optionsElement || !join) return;
  var options = JSON.parse(optionsElement.textContent);
  var moderator = root.getAttribute("data-moderator") === "true";
  var reportUrl = root.getAttribute("data-report-url");
  var apiSrc = root.getAttribute("data-api-src");
  var frame = $("[data-room-frame]");
  var roomStatus = $("[data-room-status]");
  var joinButton = join.querySelector("[data-join]");
  var audioOnly = join.querySelector("[data-audio-only]");
  var api = null;
  var inRoom = false;
  var pageId = (window.crypto && window.crypto.randomUUID ? window.crypto.randomUUID() : Date.now().toString(36) + Math.random().toString(36).slice(2)).replace(/[^A-Za-z0-9_-]/g, "");
  var sequence = 0;

  function tell(text) {
    if (roomStatus) roomStatus.textContent = text;
  }
  function csrfToken() {
    var input = join.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }
  function report(event, displayName, keepalive) {
    if (!reportUrl) return Promise.resolve(); // a guest's page reports nothing: the video server does
    sequence += 1;
    var body = { event: event, event_id: pageId + "-" + sequence };
    if (displayName) body.display_name = String(displayName).slice(0, 300);
    return window
      .fetch(reportUrl, {
        method: "POST",
        credentials: "same-origin",
        keepalive: !!keepalive,
        headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
        body: JSON.stringify(body),
      })
      .catch(function () { /* the video server's own events still count */ });
  }
  function loadApi() {
    return new Promise(function (resolve, reject) {
      if (window.JitsiMeetExternalAPI) return resolve(window.JitsiMeetExternalAPI);
      var script = document.createElement("script");
      script.src = apiSrc;
      script.async = true;
      script.onload = function () {
        if (window.JitsiMeetExternalAPI) resolve(window.JitsiMeetExternalAPI);
        else reject(new Error("external_api.js did not define JitsiMeetExternalAPI"));
      };
      script.onerror = reject;
      document.head.appendChild(script);
    });
  }
  function leftRoom() {
    if (!api) return;
    try { api.dispose(); } catch (e) { /* already gone */ }
    api = null;
    frame.hidden = true;
    frame.innerHTML = "";
    join.hidden = false;
    if (joinButton) joinButton.disabled = false;
  }
  function enter() {
    if (api) return;
    stopCheck(false); // the room needs the camera the check was holding
    if (joinButton) joinButton.disabled = true;
    tell(msg("joining"));
    loadApi()
      .then(function (JitsiMeetExternalAPI) {
        var settings = JSON.parse(JSON.stringify(options));
        var domain = settings.domain;
        delete settings.domain;
        if (audioOnly && audioOnly.checked) {
          // Both still in jitsi-meet's configWhitelist: audio-only mode (no video sent or received),
          // and the camera off for a Jitsi that leaves the prejoin screen's camera on anyway.
          settings.configOverwrite.startAudioOnly = true;
          settings.configOverwrite.startWithVideoMuted = true;
        }
        settings.parentNode = frame;
        settings.width = "100%";
        settings.height = "100%";
        frame.hidden = false;
        join.hidden = true;
        api = new JitsiMeetExternalAPI(domain, settings);
        if (frame.scrollIntoView) frame.scrollIntoView({ block: "start" });
        api.addListener("videoConferenceJoined", function () {
          inRoom = true;
          tell(msg("joined"));
          report("videoConferenceJoined");
          // Parties wait in the lobby until the conciliator admits them.
          if (moderator) api.executeCommand("toggleLobby", true);
        });
        api.addListener("videoConferenceLeft", function () {
          if (inRoom) report("videoConferenceLeft");
          inRoom = false;
          tell(msg("left"));
          leftRoom();
        });
        api.addListener("readyToClose", leftRoom);
        if (moderator) {
          // participantLeft carries only the id: remember the names seen on joining.
          var names = {};
          api.addListener("participantJoined", function (event) {
            if (!event) return;
            names[event.id] = event.displayName || "";
            report("participantJoined", names[event.id]);
          });
          api.addListener("displayNameChange", function (event) {
            if (event && names[event.id] !== undefined) names[event.id] = event.displayname || event.displayName || names[event.id];
          });
          api.addListener("participantLeft", function (event) {
            if (!event) return;
            report("participantLeft", names[event.id] || "");
            delete names[event.id];
          });
        }
      })
      .catch(function () {
        tell(msg("join-failed"));
        frame.hidden = true;
        join.hidden = false;
        if (joinButton) joinButton.disabled = false;
      });
  }
  if (joinButton) joinButton.addEventListener("click", enter);
  // Closing the tab ends no IFrame event: say it ourselves, in a request that outlives the page.
  window.addEventListener("pagehide", function () {
    if (inRoom) {
      inRoom = false;
      report("videoConferenceLeft", "", true);
    }
  });
})();
