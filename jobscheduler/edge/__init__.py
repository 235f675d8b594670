"""The gRPC edge: servicer, interceptors, health, reflection, metrics HTTP and server lifecycle.

The only package that imports the generated ``*_pb2_grpc`` stubs on the server side. It
translates transport to calls of the service layer and domain errors back to gRPC statuses;
it holds no business logic.
"""
