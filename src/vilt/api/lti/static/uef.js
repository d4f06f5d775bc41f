/* Vilt's Blackboard Learn Ultra extension (UEF). Plain JavaScript, served by Vilt.
 *
 * Ultra loads this page in a hidden iframe. The page says integration:hello to Ultra, gets a
 * MessagePort back, authorizes with the Learn REST token Vilt obtained, registers as the
 * proctoring service for the configured placement handle, renders its settings in the
 * assessment's proctoring panel, and answers every settings-saved message, with the same
 * correlationId, within Ultra's 5 seconds: success, or a sentence saying what went wrong. */
(function () {
  "use strict";
  var config = JSON.parse(document.getElementById("vilt-uef-config").textContent);
  // what people see, in the page's language (the server translates; English if it did not)
  var texts = config.texts || {};
  function say(name, english, values) {
    var text = texts[name] || english;
    Object.keys(values || {}).forEach(function (key) {
      text = text.split("%(" + key + ")s").join(String(values[key]));
    });
    return text;
  }
  var SELECTOR = "course.content.assessment.settings.proctoring.panel.settings";
  var SAVED = "proctoring-service:settings-saved";
  var port = null;
  var portals = {};

  function send(message) {
    if (port) { port.postMessage(message); }
  }

  function onHello(event) {
    if (event.origin !== config.learnOrigin) { return; }
    var data = event.data || {};
    if (data.type !== "integration:hello" || !event.ports || !event.ports[0]) { return; }
    window.removeEventListener("message", onHello);
    port = event.ports[0];
    port.onmessage = onPortMessage;
    send({ type: "authorization:authorize", token: config.token });
  }

  function onPortMessage(event) {
    var message = event.data || {};
    // Ultra has sent settings-saved both as its own type and as an event:event with eventType
    var kind = message.type === "event:event" ? message.eventType : message.type;
    var payload = message.data && message.data.eventType ? message.data : message;
    if (payload.eventType === SAVED) { kind = SAVED; }
    if (kind === "authorization:authorize") {
      send({ type: "event:subscribe", subscriptions: ["portal:new", "portal:remove"] });
      send({ type: "proctoring-service:register", proctoringPlacementHandle: config.handle });
    } else if (kind === "proctoring-service:register") {
      window.viltRegistered = message;
    } else if (kind === "portal:new" && message.selector === SELECTOR) {
      renderSettings(message);
    } else if (kind === "portal:remove") {
      delete portals[message.portalId];
    } else if (kind === SAVED) {
      saveSettings(payload);
    }
  }

  function renderSettings(message) {
    var selected = message.selectorData || {};
    portals[message.portalId] = selected;
    send({
      type: "portal:render",
      portalId: message.portalId,
      contents: {
        tag: "div",
        props: { className: "vilt-proctoring-settings" },
        children: [
          { tag: "span", children: say("panelTitle", "Proctored by Vilt") },
          {
            tag: "p",
            children: say("panelText", "Learners confirm their identity before the attempt starts; proctors " +
              "can pause, resume, flag or end an attempt from Vilt.")
          }
        ]
      }
    });
  }

  function answer(correlationId, error) {
    var reply = { type: "proctoring-service:settings-saved:response", correlationId: correlationId, success: !error };
    if (error) { reply.error = error; }
    send(reply);
  }

  function saveSettings(data) {
    var correlationId = data.correlationId;
    var answered = false;
    function once(error) {
      if (answered) { return; }
      answered = true;
      answer(correlationId, error);
    }
    // Ultra waits 5 seconds; answer before that whatever the server does
    var timer = setTimeout(function () {
      once(say("saveTimeout",
        "Vilt did not confirm the proctoring settings in time; they may not be saved. Please save again."));
    }, config.saveTimeoutMs);
    var body = {
      course_id: data.courseId || data.courseUuid || null,
      content_id: data.contentId || null,
      enabled: typeof data.enabled === "boolean" ? data.enabled : null,
      proctoring_placement_handle: data.proctoringPlacementHandle || config.handle
    };
    fetch(config.settingsUrl, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-Vilt-Session": config.session },
      body: JSON.stringify(body),
      credentials: "omit"
    }).then(function (response) {
      if (response.ok) { clearTimeout(timer); once(null); return null; }
      return response.json().then(function (problem) {
        clearTimeout(timer);
        once(say("saveFailed", "Vilt could not save the proctoring settings: %(reason)s",
          { reason: problem.detail || ("HTTP " + response.status) }));
      }, function () {
        clearTimeout(timer);
        once(say("saveFailedStatus", "Vilt could not save the proctoring settings (HTTP %(status)s).",
          { status: response.status }));
      });
    }).catch(function () {
      clearTimeout(timer);
      once(say("unreachable", "Vilt could not be reached to save the proctoring settings. Please try again."));
    });
  }

  window.addEventListener("message", onHello);
  window.parent.postMessage({ type: "integration:hello" }, config.learnOrigin + "/*");
})();
