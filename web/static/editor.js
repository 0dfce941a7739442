// The BPMN editor page: load the latest version's diagram into bpmn-js, and deploy the edited
// diagram as the next version, showing the engine's answer (a version, or every problem by element).
(function () {
  "use strict";
  var root = document.getElementById("editor");
  var result = document.getElementById("deploy-result");
  var deployButton = document.getElementById("deploy");
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

  fetch(root.dataset.diagramUrl, { credentials: "same-origin" })
    .then(function (response) {
      if (!response.ok) { throw new Error("HTTP " + response.status); }
      return response.text();
    })
    .then(function (xml) { return modeler.importXML(xml); })
    .then(function () {
      var canvas = modeler.get("canvas");
      canvas.zoom("fit-viewport");
      // Fit the diagram beside the palette, which floats over the canvas's left edge.
      var palette = document.querySelector("#canvas .djs-palette");
      var inset = palette ? palette.getBoundingClientRect().right - document.getElementById("canvas").getBoundingClientRect().left + 10 : 0;
      var box = canvas.viewbox();
      var width = box.width + inset / box.scale;
      canvas.viewbox({ x: box.x - inset / box.scale, y: box.y, width: width, height: box.height * width / box.width });
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
