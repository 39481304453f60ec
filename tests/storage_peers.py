"""Local peers of the storage services, reached over real HTTP on loopback.

- ``moto_s3``: moto's own S3 server (``moto_server``) in a separate process.
- ``CloudinaryStandIn``: a small stand-in of Cloudinary's upload, download, destroy and admin
  resource APIs, reached by the real Cloudinary SDK through its ``upload_prefix``. It checks the
  SDK's request signatures with the API secret, so a wrongly signed call fails as it would there.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cloudinary.utils
import urllib3
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class MotoS3:
    endpoint_url: str
    process: subprocess.Popen[bytes]
    access_key: str = "testing"
    secret_key: str = "testing"
    region: str = "us-east-1"

    def client(self) -> Any:
        import boto3

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint_url,
            aws_access_key_id=self.access_key,
            aws_secret_access_key=self.secret_key,
            region_name=self.region,
        )

    def storage_settings(self, bucket: str) -> dict[str, Any]:
        return {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": bucket,
                "endpoint_url": self.endpoint_url,
                "region_name": self.region,
                "access_key": self.access_key,
                "secret_key": self.secret_key,
                "default_acl": None,
                "querystring_auth": True,
                "querystring_expire": 300,
                "file_overwrite": False,
                "signature_version": "s3v4",
            },
        }


@contextlib.contextmanager
def moto_s3_server() -> Iterator[MotoS3]:
    port = free_port()
    process = subprocess.Popen(
        [str(BIN / "moto_server"), "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"},
    )
    endpoint = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            urllib3.request("GET", endpoint + "/moto-api/", timeout=1, retries=False)
            break
        except urllib3.exceptions.HTTPError:
            if time.monotonic() > deadline or process.poll() is not None:
                process.kill()
                raise RuntimeError("moto_server did not start") from None
            time.sleep(0.2)
    try:
        yield MotoS3(endpoint_url=endpoint, process=process)
    finally:
        process.terminate()
        process.wait(timeout=10)


# --- Cloudinary --------------------------------------------------------------------------------


@dataclass
class CloudinaryStandIn:
    cloud_name: str = "injaaz-test"
    api_key: str = "123456789012345"
    api_secret: str = "standin-secret"
    assets: dict[tuple[str, str, str], dict[str, Any]] = field(default_factory=dict)
    calls: list[str] = field(default_factory=list)
    fail_uploads: bool = False
    port: int = 0

    @property
    def upload_prefix(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def storage_settings(self) -> dict[str, Any]:
        return {
            "BACKEND": "injaaz.storages.CloudinaryStorage",
            "OPTIONS": {
                "cloud_name": self.cloud_name,
                "api_key": self.api_key,
                "api_secret": self.api_secret,
                "upload_prefix": self.upload_prefix,
            },
        }

    def _signed(self, params: dict[str, Any]) -> bool:
        given = params.get("signature", "")
        signable = {k: v for k, v in params.items() if k not in ("signature", "api_key", "file", "resource_type")}
        expected = cloudinary.utils.api_sign_request(signable, self.api_secret)
        return bool(given) and given == expected and params.get("api_key") == self.api_key

    @staticmethod
    def _error(message: str, status: int) -> Response:
        return Response(json.dumps({"error": {"message": message}}), status=status, mimetype="application/json")

    def __call__(self, environ: Any, start_response: Any) -> Any:
        request = Request(environ)
        parts = request.path.strip("/").split("/")
        self.calls.append(f"{request.method} {request.path}")
        response = self._dispatch(request, parts)
        return response(environ, start_response)

    def _dispatch(self, request: Request, parts: list[str]) -> Response:
        if len(parts) < 4 or parts[:2] != ["v1_1", self.cloud_name]:
            return self._error("unknown route", 404)
        if parts[2] == "resources":
            return self._admin_resource(request, parts[3], parts[4], "/".join(parts[5:]))
        resource_type, action = parts[2], parts[3]
        if action == "upload" and request.method == "POST":
            return self._upload(request, resource_type)
        if action == "destroy" and request.method == "POST":
            params = request.form.to_dict()
            if not self._signed(params):
                return self._error("Invalid Signature", 401)
            key = (resource_type, params.get("type", "upload"), params["public_id"])
            found = self.assets.pop(key, None)
            return Response(json.dumps({"result": "ok" if found else "not found"}), mimetype="application/json")
        if action == "download" and request.method == "GET":
            params = request.args.to_dict()
            if not self._signed(params):
                return self._error("Invalid Signature", 401)
            if params.get("expires_at") and int(params["expires_at"]) < time.time():
                return self._error("Expired", 401)
            asset = self.assets.get((resource_type, params.get("type", "upload"), params["public_id"]))
            if asset is None:
                return self._error("Resource not found", 404)
            return Response(asset["data"], mimetype="application/octet-stream")
        return self._error("unknown action", 404)

    def _upload(self, request: Request, resource_type: str) -> Response:
        if self.fail_uploads:
            return self._error("Service temporarily unavailable", 500)
        params = request.form.to_dict()
        if not self._signed(params):
            return self._error("Invalid Signature", 401)
        upload = request.files.get("file")
        if upload is None:
            return self._error("Missing required parameter - file", 400)
        data = upload.read()
        delivery_type = params.get("type", "upload")
        public_id = params["public_id"]
        file_format = Path(upload.filename or "").suffix.lstrip(".") if resource_type == "image" else ""
        version = int(time.time())
        asset = {
            "public_id": public_id,
            "version": version,
            "format": file_format,
            "resource_type": resource_type,
            "type": delivery_type,
            "bytes": len(data),
            "secure_url": f"https://res.cloudinary.com/{self.cloud_name}/{resource_type}/{delivery_type}/v{version}/{public_id}"
            + (f".{file_format}" if file_format else ""),
        }
        key = (resource_type, delivery_type, public_id)
        if key in self.assets and params.get("overwrite") in ("false", "0", "False"):
            existing = dict(self.assets[key])
            existing.pop("data")
            return Response(json.dumps({**existing, "existing": True}), mimetype="application/json")
        self.assets[key] = {**asset, "data": data}
        return Response(json.dumps(asset), mimetype="application/json")

    def _admin_resource(self, request: Request, resource_type: str, delivery_type: str, public_id: str) -> Response:
        expected = "Basic " + base64.b64encode(f"{self.api_key}:{self.api_secret}".encode()).decode()
        if request.headers.get("Authorization") != expected:
            return self._error("Invalid credentials", 401)
        asset = self.assets.get((resource_type, delivery_type, public_id))
        if asset is None:
            return self._error(f"Resource not found - {public_id}", 404)
        return Response(json.dumps({k: v for k, v in asset.items() if k != "data"}), mimetype="application/json")


@contextlib.contextmanager
def cloudinary_standin_server() -> Iterator[CloudinaryStandIn]:
    standin = CloudinaryStandIn()
    server = make_server("127.0.0.1", 0, standin, threaded=True)
    standin.port = server.server_port
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield standin
    finally:
        server.shutdown()
        thread.join(timeout=10)
