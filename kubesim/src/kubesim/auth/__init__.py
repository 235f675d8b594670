"""Authentication and authorization as kube-apiserver does them (v1.36 captures E01-E25).

Bearer tokens from a static token table (the cluster's admin token, group ``system:masters``) and
ServiceAccount tokens (RS256 JWTs minted by the TokenRequest subresource); a request without
credentials is ``system:anonymous``. Authorization is RBAC over the stored Roles, ClusterRoles and
their bindings, with ``system:masters`` allowed everything. ``Gate`` is what the HTTP layer
calls; the in-process ``ClusterAPI`` (the controllers) is trusted and never goes through it.
"""
