/*
 * A stand-in for Jitsi's external_api.js, for tests/browser/test_room.py: it records what the page
 * gave it in window.__jitsi (domain, options, commands), puts an empty frame where the room would
 * be, and says the person joined, as the real IFrame API does once the conference is entered.
 */
(function () {
  "use strict";
  var scriptUrl = document.currentScript ? document.currentScript.src : "";
  window.JitsiMeetExternalAPI = function (domain, options) {
    var listeners = {};
    var record = { domain: domain, options: options, commands: [], scriptUrl: scriptUrl };
    window.__jitsi = record;
    this.addListener = function (name, listener) {
      (listeners[name] = listeners[name] || []).push(listener);
    };
    this.executeCommand = function () {
      record.commands.push(Array.prototype.slice.call(arguments));
    };
    this.dispose = function () {};
    record.emit = function (name, payload) {
      (listeners[name] || []).forEach(function (listener) { listener(payload); });
    };
    var frame = document.createElement("iframe");
    frame.title = "Jitsi";
    options.parentNode.appendChild(frame);
    window.setTimeout(function () { record.emit("videoConferenceJoined", { roomName: options.roomName }); }, 50);
  };
})();
