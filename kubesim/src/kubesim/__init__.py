"""An embedded Kubernetes API for development and tests (never for production).

It speaks the real REST protocol over loopback, so the real ``kubernetes`` client, kubectl and
the service run against it unchanged. No containers really run: a simulated kubelet moves pods
through their phases.
"""
