"""Flask plumbing the REST API and the pages share: the request's database session, the error
shape, bearer-token authentication, sign-in, request guards, security headers, the id converter
and the engine services bound to the current request. Imports neither the routes nor the pages."""
