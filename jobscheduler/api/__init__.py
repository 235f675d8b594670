"""Generated protobuf and gRPC stubs for the jobscheduler API (see proto/; do not edit by hand).

Clients import from here: ``from jobscheduler.api import jobscheduler_pb2, jobscheduler_pb2_grpc``.
"""
