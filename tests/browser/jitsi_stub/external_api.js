/*
 * A stand-in for Jitsi's external_api.js, for tests/browser/test_room.py: it records what the page
 * gave it in window.__jitsi (domain, options, commands), puts an empty frame where the room would
 * be, and says the person joined, as the real IFrame API does once the conference is entered.
 *
 * Like a current jitsi-meet it does not take options it no longer reads: the real one drops them
 * without a word (they are not in its configWhitelist.ts / interfaceConfigWhitelist.ts, or were
 * replaced), so a page still sending one only thinks it set something. The stand-in refuses them.
 */
(function () {
  "use strict";
  var scriptUrl = document.currentScript ? document.currentScript.src : "";
  var GONE = {
    configOverwrite: {
      prejoinPageEnabled: "prejoinConfig.enabled",
      disableDeepLinking: "deeplinking.disabled",
      enableFeaturesBasedOnToken: "nothing: jitsi-meet reads the token's features by itself",
    },
    interfaceConfigOverwrite: {
      MOBILE_APP_PROMO: "deeplinking.disabled",
    },
  };
  function refuseGoneOptions(options) {
    Object.keys(GONE).forEach(function (section) {
      Object.keys((options && options[section]) || {}).forEach(function (key) {
        if (Object.prototype.hasOwnProperty.call(GONE[section], key)) {
          throw new Error(section + "." + key + " is no longer read by Jitsi; use " + GONE[section][key]);
        }
      });
    });
  }
  window.JitsiMeetExternalAPI = function (domain, options) {
    refuseGoneOptions(options);
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
