// The BPMN editor page: load the latest version's diagram into bpmn-js, and deploy the edited
// diagram as the next version, showing the engine's answer (a version, or every problem by element).
(function () {
  "use strict";
  var root = document.getElementById("editor");
  var result = document.getElementById("deploy-result");
  var deployButton = document.getElementById("deploy");
  var READABLE_SCALE = 0.6;
  var modeler = new BpmnJS({ container: "#canvas" });

  function say(text, isError) {
    result.textContent = text;
    result.className = isError ? "error" : "notice";
  }

  function listProblems(problems) {
    var list = document.createElement("ul");
    list.id = "deploy-problems";
    problems.forEach(function (problem) {
      var item = document.createElement("li");
      var where = [problem.element_id, problem.line ? "第 " + problem.line + " 行 (line " + problem.line + ")" : null]
        .filter(Boolean).join(" · ");
      item.textContent = (where ? where + "：" : "") + problem.message;
      list.appendChild(item);
    });
    result.appendChild(list);
  }

  // The whole diagram beside the palette (which floats over the canvas's left edge); a long
  // procedure, which would shrink past reading, is shown from its start at a readable size instead.
  function showFromTheStart(canvas) {
    var area = document.getElementById("canvas");
    var palette = area.querySelector(".djs-palette");
    var inset = palette ? palette.getBoundingClientRect().right - area.getBoundingClientRect().left + 10 : 0;
    canvas.zoom("fit-viewport");
    var inner = canvas.viewbox().inner;
    var scale = Math.min(1, (area.clientWidth - inset - 20) / inner.width, (area.clientHeight - 40) / inner.height);
    scale = Math.max(scale, READABLE_SCALE);
    canvas.viewbox({
      x: inner.x - (inset + 10) / scale, y: inner.y - 20 / scale,
      width: area.clientWidth / scale, height: area.clientHeight / scale
    });
  }

  fetch(root.dataset.diagramUrl, { credentials: "same-origin" })
    .then(function (response) {
      if (!response.ok) { throw new Error("HTTP " + response.status); }
      return response.text();
    })
    .then(function (xml) { return modeler.importXML(xml); })
    .then(function () {
      showFromTheStart(modeler.get("canvas"));
      root.dataset.ready = "true";
      deployButton.disabled = false;
    })
    .catch(function (error) { say("流程图无法载入 (the diagram could not be loaded): " + error.message, true); });

  deployButton.addEventListener("click", function () {
    deployButton.disabled = true;
    say("正在部署… (deploying)", false);
    modeler.saveXML({ format: true })
      .then(function (saved) {
        return fetch(root.dataset.deployUrl, {
          method: "POST",
          credentials: "same-origin",
          headers: { "Content-Type": "application/xml", "Accept": "application/json", "X-CSRFToken": root.dataset.csrf },
          body: saved.xml
        });
      })
      .then(function (response) { return response.json().then(function (body) { return [response.status, body]; }); })
      .then(function (answer) {
        var status = answer[0], body = answer[1];
        if (status === 201) {
          say("已部署为第 " + body.version + " 版 (deployed as version " + body.version + ")", false);
        } else if (status === 200) {
          say("内容未变，仍为第 " + body.version + " 版 (unchanged: still version " + body.version + ")", false);
        } else {
          say("未部署 (not deployed): " + (body.message || status), true);
          if (body.problems) { listProblems(body.problems); }
        }
      })
      .catch(function (error) { say("部署失败 (deployment failed): " + error.message, true); })
      .then(function () { deployButton.disabled = false; });
  });
})();
