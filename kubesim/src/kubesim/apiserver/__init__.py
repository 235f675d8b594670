"""kube-apiserver semantics in process: the resources, their defaulting and validation, and
the request verbs over the store (see ``server.ApiServer``)."""
