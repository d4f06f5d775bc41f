"""An LMS for the tests, built on ``lti1p3platform`` (an LTI 1.3 platform implementation
written by others, on PyPI): it signs the launches, issues service tokens against Vilt's
client assertions, checks Vilt's Deep Linking answer and serves NRPS and AGS. This module is
only the HTTP glue around it (Starlette), plus what the library lacks: Dynamic Registration,
LTI Proctoring (LtiStartAssessment, the Assessment Control Service) and its ``Link`` headers.

Its clock follows the sandbox clock (the library and PyJWT read the wall clock otherwise)."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import jwt.api_jwt
import lti1p3platform.ltiplatform
import lti1p3platform.registration
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from lti1p3platform.constants import LTI_1P3_ACCESS_TOKEN_SCOPES
from lti1p3platform.exceptions import LtiException, LtiServiceException, MissingRequiredClaim
from lti1p3platform.ltiplatform import LTI1P3PlatformConfAbstract
from lti1p3platform.membership import Context
from lti1p3platform.message_launch import LTIAdvantageMessageLaunchAbstract
from lti1p3platform.oidc_login import OIDCLoginAbstract
from lti1p3platform.registration import Registration
from lti1p3platform.request import Request as LibRequest
from lti1p3platform.request import TRequest
from lti1p3platform.score import UpdateScoreStatus
from lti1p3platform.service_connector import AssignmentsGradesService, NamesRoleProvisioningService
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from vilt.clock import Clock

ISSUER = "https://lms.test"
ACS_SCOPE = "https://purl.imsglobal.org/spec/lti-ap/scope/control.all"
LEARNER = "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"
INSTRUCTOR = "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"
STUDENT = "http://purl.imsglobal.org/vocab/lis/v2/institution/person#Student"

# this platform also offers the Assessment Control Service
if ACS_SCOPE not in LTI_1P3_ACCESS_TOKEN_SCOPES:
    LTI_1P3_ACCESS_TOKEN_SCOPES.append(ACS_SCOPE)


class _ClockTime:
    """Stands in for the ``time`` module inside the library: the sandbox clock."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock

    def time(self) -> float:
        return self.clock.now().timestamp()


def follow_clock(monkeypatch: Any, clock: Clock) -> None:
    monkeypatch.setattr(lti1p3platform.registration, "time", _ClockTime(clock))
    monkeypatch.setattr(lti1p3platform.ltiplatform, "time", _ClockTime(clock))

    class _Now(datetime):
        @classmethod
        def now(cls, tz: Any = None) -> datetime:  # type: ignore[override]
            return clock.now()

    monkeypatch.setattr(jwt.api_jwt, "datetime", _Now)


def new_key() -> tuple[str, str]:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private_pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    public_pem = (
        private.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return private_pem, public_pem


class PlatformConf(LTI1P3PlatformConfAbstract):
    def init_platform_config(self, **kwargs: Any) -> None:
        self._registration = kwargs["registration"]

    def get_registration_by_params(self, **kwargs: Any) -> Registration:
        assert self._registration is not None
        return self._registration

    def fetch_public_key(self, key_set_url: str) -> Any:
        raise AssertionError("the test platform refreshes Vilt's key set itself, asynchronously")


class Login(OIDCLoginAbstract):
    def set_lti_message_hint(self, **kwargs: Any) -> None:
        self._lti_message_hint = kwargs["hint"]

    def get_redirect(self, url: str) -> str:
        return url


class Launch(LTIAdvantageMessageLaunchAbstract):
    def __init__(self, params: dict[str, Any], conf: PlatformConf) -> None:
        super().__init__(LibRequest.__new__(LibRequest), conf)
        self._params = params

    def get_preflight_response(self) -> dict[str, Any]:
        return self._params

    def render_launch_form(self, launch_data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        return launch_data


class AdaptedRequest(LibRequest):
    def build_metadata(self, request: Any) -> TRequest:
        result: TRequest = request
        return result


class Memberships(NamesRoleProvisioningService):
    def __init__(self, request: LibRequest, conf: PlatformConf, url: str, platform: LmsPlatform) -> None:
        super().__init__(request, conf, url)
        self.platform = platform

    def get_member_data_page(self, page: int = 1, limit: int | None = None, **_: Any) -> Any:
        members = self.platform.members
        size = limit or len(members) or 1
        start = (page - 1) * size
        return {
            "content": [dict(m) for m in members[start : start + size]],
            "has_next": start + size < len(members),
        }

    def get_context_by_id(self) -> Context:
        return Context(id=self.platform.context_id, label="LTI-101", title="Live Teaching 101")


class Grades(AssignmentsGradesService):
    def __init__(self, request: LibRequest, conf: PlatformConf, platform: LmsPlatform) -> None:
        super().__init__(request, conf, f"{ISSUER}/ags/lineitems")
        self.platform = platform

    def update_score(self, line_item_id: str, score: Any) -> UpdateScoreStatus:
        self.platform.scores.setdefault(line_item_id, []).append(dict(score))
        return UpdateScoreStatus.SUCCESS

    def find_lineitems(self, *a: Any, **k: Any) -> Any:
        raise NotImplementedError

    def find_lineitem(self, line_item_id: str) -> Any:
        raise NotImplementedError

    def create_lineitem(self, creation_data: Any) -> Any:
        raise NotImplementedError

    def update_lineitem(self, update_data: Any) -> Any:
        raise NotImplementedError

    def delete_lineitem(self, line_item_id: str) -> None:
        raise NotImplementedError

    def get_results(self, *a: Any, **k: Any) -> Any:
        raise NotImplementedError


@dataclass
class LaunchSpec:
    user_id: str
    roles: list[str]
    name: str | None = None
    email: str | None = None
    resource_link_id: str = "rl-1"
    resource_link_title: str = "Weekly live class"
    lineitem: str | None = None
    nrps: bool = True
    deep_linking: bool = False
    dl_data: Any = None
    extra: dict[str, Any] = field(default_factory=dict)
    target: str | None = None
    """Another target link URI than the launch URL (the Ultra extension's)."""


class _Form(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.action = ""
        self.fields: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "form":
            self.action = values.get("action") or ""
        if tag == "input" and values.get("name"):
            self.fields[str(values["name"])] = values.get("value") or ""


def parse_form(html: str) -> tuple[str, dict[str, str]]:
    parser = _Form()
    parser.feed(html)
    return parser.action, parser.fields


class LmsPlatform:
    """The platform: OIDC auth endpoint, key set, token endpoint, NRPS, AGS, Deep Linking return,
    proctoring start and Assessment Control, Dynamic Registration."""

    def __init__(
        self, vilt_app: Any, vilt_url: str, *, client_id: str = "vilt-client", deployment_id: str = "dep-1"
    ) -> None:
        self.vilt_app = vilt_app
        self.vilt_url = vilt_url
        self.client_id = client_id
        self.deployment_id = deployment_id
        self.context_id = "course-1"
        self.keys = [new_key()]
        self.members: list[dict[str, Any]] = []
        self.scores: dict[str, list[dict[str, Any]]] = {}
        self.score_requests: list[httpx.Headers | dict[str, str]] = []
        self.token_requests: list[dict[str, str]] = []
        self.deep_link_answers: list[dict[str, Any]] = []
        self.started: list[dict[str, Any]] = []
        self.acs_calls: list[dict[str, Any]] = []
        self.acs_status = "paused"
        self.pending: dict[str, LaunchSpec] = {}
        self.registrations: list[dict[str, Any]] = []
        self.registration_token = "reg-token-" + secrets.token_hex(4)
        self.fail_scores = 0
        self.conf = PlatformConf(registration=self._registration())
        self.app = Starlette(
            routes=[
                Route("/auth", self.auth),
                Route("/jwks", self.jwks),
                Route("/token", self.token, methods=["POST"]),
                Route("/nrps/{context}", self.memberships),
                Route("/ags/lineitems/{item}/scores", self.post_score, methods=["POST"]),
                Route("/dl-return", self.deep_link_return, methods=["POST"]),
                Route("/proctoring/start", self.start_assessment, methods=["POST"]),
                Route("/acs", self.control, methods=["POST"]),
                Route("/.well-known/openid-configuration", self.openid_configuration),
                Route("/register", self.register, methods=["POST"]),
            ]
        )

    def _registration(self) -> Registration:
        private, public = self.keys[-1]
        return (
            Registration()
            .set_iss(ISSUER)
            .set_client_id(self.client_id)
            .set_deployment_id(self.deployment_id)
            .set_launch_url(f"{self.vilt_url}/lti/launch")
            .set_deeplink_launch_url(f"{self.vilt_url}/lti/launch")
            .set_oidc_login_url(f"{self.vilt_url}/lti/login")
            .set_tool_key_set_url(f"{self.vilt_url}/lti/jwks")
            .set_platform_public_key(public)
            .set_platform_private_key(private)
        )

    def rotate_key(self) -> None:
        self.keys.append(new_key())
        self.conf._registration = self._registration()

    def settings(self) -> dict[str, Any]:
        """What an administrator enters in Vilt for this platform."""
        return {
            "name": "Test LMS",
            "issuer": ISSUER,
            "client_id": self.client_id,
            "deployment_ids": [self.deployment_id],
            "auth_login_url": f"{ISSUER}/auth",
            "token_url": f"{ISSUER}/token",
            "jwks_url": f"{ISSUER}/jwks",
        }

    async def refresh_tool_keys(self) -> None:
        transport = httpx.ASGITransport(app=self.vilt_app)
        async with httpx.AsyncClient(transport=transport, base_url=self.vilt_url) as client:
            key_set = (await client.get("/lti/jwks")).json()
        self.conf.get_registration().set_tool_key_set(key_set)

    # --- launching -------------------------------------------------------------------------

    def login_url(self, spec: LaunchSpec) -> str:
        """The platform starts a launch: the login initiation URL the browser is sent to."""
        hint = uuid.uuid4().hex
        self.pending[hint] = spec
        login = Login(None, self.conf)
        login.set_lti_message_hint(hint=hint)
        if spec.target:
            login.set_launch_url(spec.target)
        return str(login.initiate_login(spec.user_id))

    def launch_for(self, params: dict[str, Any]) -> Launch:
        spec = self.pending[params["lti_message_hint"]]
        launch = Launch(params, self.conf)
        if spec.target:
            launch.set_launch_url(spec.target)
        launch.set_user_data(spec.user_id, spec.roles, full_name=spec.name, email_address=spec.email)
        launch.set_resource_link_claim(spec.resource_link_id, title=spec.resource_link_title)
        launch.set_launch_context_claim(
            self.context_id, context_title="Live Teaching 101", context_label="LTI-101"
        )
        launch.set_launch_presentation_claim("iframe", return_url=f"{ISSUER}/course/{self.context_id}")
        if spec.lineitem:
            launch.set_ags(f"{ISSUER}/ags/lineitems", spec.lineitem)
        if spec.nrps:
            launch.set_nrps(f"{ISSUER}/nrps/{self.context_id}?limit=2")
        if spec.deep_linking:
            launch.set_dl(
                f"{ISSUER}/dl-return",
                title="Add content",
                accept_types={"ltiResourceLink"},
                extra_data=spec.dl_data,
            )
        if spec.extra:
            launch.set_extra_claims(spec.extra)
        return launch

    async def auth(self, request: Request) -> Response:
        params = dict(request.query_params)
        for name, value in (
            ("scope", "openid"),
            ("response_type", "id_token"),
            ("response_mode", "form_post"),
            ("prompt", "none"),
        ):
            if params.get(name) != value:
                return HTMLResponse(f"bad {name}", status_code=400)
        if params.get("redirect_uri") != f"{self.vilt_url}/lti/launch":
            return HTMLResponse("redirect_uri is not registered", status_code=400)
        try:
            data = self.launch_for(params).lti_launch()
        except Exception as exc:
            return HTMLResponse(f"refused: {type(exc).__name__}", status_code=400)
        fields = "".join(
            f'<input type="hidden" name="{k}" value="{v}">'
            for k, v in (("id_token", data["id_token"]), ("state", data["state"]))
        )
        return HTMLResponse(f'<form method="post" action="{data["launch_url"]}">{fields}</form>')

    def sign(
        self,
        claims: dict[str, Any],
        *,
        key: str | None = None,
        kid: str | None = None,
        algorithm: str = "RS256",
    ) -> str:
        """A token signed like the platform's (or with another key), for the refusal tests."""
        registration = self.conf.get_registration()
        headers = {"kid": kid if kid is not None else registration.get_kid()}
        signing_key = key or registration.get_platform_private_key()
        assert signing_key is not None
        return jwt.encode(claims, signing_key, algorithm=algorithm, headers=headers)

    def claims_for(self, params: dict[str, Any]) -> dict[str, Any]:
        launch = self.launch_for(params)
        launch._registration = self.conf.get_registration()
        message: dict[str, Any]
        message, _ = launch.get_launch_data()
        now = int(lti1p3platform.registration.time.time())
        message.update({"iat": now, "exp": now + 300})
        return message

    async def jwks(self, request: Request) -> Response:
        keys = [Registration.get_jwk(public) for _, public in self.keys]
        return JSONResponse({"keys": keys})

    # --- services ---------------------------------------------------------------------------

    async def token(self, request: Request) -> Response:
        form = {k: str(v) for k, v in (await request.form()).items()}
        self.token_requests.append(form)
        await self.refresh_tool_keys()
        try:
            answer = self.conf.get_access_token(form)
        except (MissingRequiredClaim, LtiException, jwt.InvalidTokenError) as exc:
            return JSONResponse({"error": "invalid_client", "error_description": str(exc)}, status_code=401)
        return JSONResponse(dict(answer))

    def _lib_request(self, request: Request, body: Any = None) -> AdaptedRequest:
        query: dict[str, Any] = {k: int(v) if v.isdigit() else v for k, v in request.query_params.items()}
        return AdaptedRequest(
            {"method": request.method, "form_data": {}, "get_data": query, "headers": request.headers,
             "content_type": request.headers.get("content-type"), "path": request.url.path, "json": body}
        )  # fmt: skip

    async def memberships(self, request: Request) -> Response:
        url = f"{ISSUER}/nrps/{request.path_params['context']}"
        service = Memberships(self._lib_request(request), self.conf, url, self)
        try:
            answer = service.handle_get_members()
        except LtiServiceException as exc:
            return JSONResponse({"error": exc.message}, status_code=exc.status_code)
        body = dict(answer.result or {})
        headers = {"Content-Type": answer.media_type}
        following = body.pop("next", None)
        if following:
            headers["Link"] = f'<{following}>; rel="next"'
        return JSONResponse(body, status_code=answer.code, headers=headers)

    async def post_score(self, request: Request) -> Response:
        self.score_requests.append(
            {"content-type": request.headers.get("content-type", ""), "query": request.url.query}
        )
        if self.fail_scores > 0:
            self.fail_scores -= 1
            return JSONResponse({"error": "down"}, status_code=503, headers={"Retry-After": "120"})
        service = Grades(self._lib_request(request, await request.json()), self.conf, self)
        try:
            answer = service.handle_update_score(request.path_params["item"])
        except LtiServiceException as exc:
            return JSONResponse({"error": exc.message}, status_code=exc.status_code)
        return JSONResponse({}, status_code=answer.code)

    async def deep_link_return(self, request: Request) -> Response:
        token = str((await request.form())["JWT"])
        await self.refresh_tool_keys()
        items = self.conf.validate_deeplinking_resp({"JWT": token})
        decoded = self.conf.tool_validate_and_decode(token)
        self.deep_link_answers.append({"items": items, "claims": decoded})
        return HTMLResponse("Content added to the course.")

    async def start_assessment(self, request: Request) -> Response:
        token = str((await request.form())["JWT"])
        await self.refresh_tool_keys()
        self.started.append(self.conf.tool_validate_and_decode(token))
        return HTMLResponse("Assessment started.")

    async def control(self, request: Request) -> Response:
        auth = request.headers.get("authorization", "").split()
        if len(auth) != 2 or not self.conf.validate_token(auth[1], allowed_scopes=[ACS_SCOPE]):
            return JSONResponse({"error": "unauthorized"}, status_code=401)
        body = await request.json()
        self.acs_calls.append({"content_type": request.headers.get("content-type"), "body": body})
        return JSONResponse({"status": self.acs_status, "extra_time": body.get("extra_time", 0)})

    # --- dynamic registration ---------------------------------------------------------------

    def _bearer_ok(self, request: Request) -> bool:
        return request.headers.get("authorization") == f"Bearer {self.registration_token}"

    async def openid_configuration(self, request: Request) -> Response:
        if not self._bearer_ok(request):
            return JSONResponse({"error": "unauthorized"}, status_code=401)
        return JSONResponse(
            {
                "issuer": ISSUER,
                "authorization_endpoint": f"{ISSUER}/auth",
                "token_endpoint": f"{ISSUER}/token",
                "jwks_uri": f"{ISSUER}/jwks",
                "registration_endpoint": f"{ISSUER}/register",
                "token_endpoint_auth_methods_supported": ["private_key_jwt"],
                "scopes_supported": ["openid", *LTI_1P3_ACCESS_TOKEN_SCOPES],
                "response_types_supported": ["id_token"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "https://purl.imsglobal.org/spec/lti-platform-configuration": {
                    "product_family_code": "moodle",
                    "version": "4.5",
                    "messages_supported": [
                        {"type": "LtiResourceLinkRequest"},
                        {"type": "LtiDeepLinkingRequest", "placements": ["ContentArea"]},
                    ],
                },
            }
        )

    async def register(self, request: Request) -> Response:
        if not self._bearer_ok(request):
            return JSONResponse({"error": "unauthorized"}, status_code=401)
        body = await request.json()
        self.registrations.append(body)
        tool = dict(body.get("https://purl.imsglobal.org/spec/lti-tool-configuration", {}))
        tool["deployment_id"] = "dyn-deployment-1"
        return JSONResponse(
            {
                **body,
                "client_id": "dyn-client-1",
                "https://purl.imsglobal.org/spec/lti-tool-configuration": tool,
            }
        )


class Browser:
    """A browser between Vilt and the platform: follows the launch's redirects and auto-posted
    forms, keeps Vilt's cookie."""

    def __init__(self, vilt_app: Any, vilt_url: str, platform: LmsPlatform) -> None:
        self.apps: dict[str, Any] = {vilt_url: vilt_app, ISSUER: platform.app}
        self.client = self._client()
        self.vilt_url = vilt_url
        self.platform = platform

    def _client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(mounts={o: httpx.ASGITransport(app=a) for o, a in self.apps.items()})

    async def route(self, origin: str, app: Any) -> None:
        """Reach another site (Learn...) too; cookies are kept."""
        self.apps[origin] = app
        cookies = self.client.cookies
        await self.client.aclose()
        self.client = self._client()
        self.client.cookies = cookies

    async def aclose(self) -> None:
        await self.client.aclose()

    async def begin(self, spec: LaunchSpec) -> tuple[dict[str, str], httpx.Response]:
        """Login initiation at Vilt; returns the authorization request's parameters."""
        answer = await self.client.get(self.platform.login_url(spec))
        assert answer.status_code == 302, answer.text
        location = answer.headers["location"]
        return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}, answer

    async def launch(self, spec: LaunchSpec, *, follow: bool = True) -> httpx.Response:
        params, _ = await self.begin(spec)
        form_page = await self.client.get(f"{ISSUER}/auth?{urlencode(params)}")
        assert form_page.status_code == 200, form_page.text
        action, fields = parse_form(form_page.text)
        answer = await self.client.post(action, data=fields)
        if follow and answer.status_code == 303 and answer.headers["location"].startswith("/"):
            return await self.client.get(self.vilt_url + answer.headers["location"])
        return answer

    async def post_form(
        self, page: httpx.Response, data: dict[str, str], action: str | None = None
    ) -> httpx.Response:
        """Submit the page's form (hidden fields kept) with ``data`` filled in."""
        found_action, fields = parse_form(page.text)
        target = action or found_action or str(page.url)
        if target.startswith("/"):
            target = self.vilt_url + target
        return await self.client.post(target, data={**fields, **data})
