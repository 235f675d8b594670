"""The HTTP front end: the Kubernetes REST protocol on loopback over ``ApiServer``, its wire
format, routing, query options, pod logs, and fault injection for clients' reliability tests."""
