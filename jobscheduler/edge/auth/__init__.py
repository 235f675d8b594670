"""Access control at the edge: callers authenticated and authorized by Kubernetes itself.

``guard.AccessGuard`` is the per-RPC hook (``hook.admit``): ``reviews`` (TokenReview,
SubjectAccessReview, cached), ``rules`` (each RPC's Kubernetes verb), ``limits`` (rate and
streams), ``images`` (IMAGE_ALLOWLIST), ``pagetokens`` (tokens bound to their caller),
``audit``; ``tls`` serves TLS from reloaded files and reads client certificates.
"""
