// Starts Swagger UI on /api/v1/docs. A file of its own: the CSP allows no inline script.
"use strict";
(function () {
  var root = document.getElementById("swagger-ui");
  window.SwaggerUIBundle({
    url: root.dataset.specUrl,
    domNode: root,
    deepLinking: true,
    // Never send the document to the public validator service (no calls off the app).
    validatorUrl: null,
    // The bearer token a reader types stays in the page only.
    persistAuthorization: false,
  });
})();
