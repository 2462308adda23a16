"""Zapier: sync from the Workflow API (OAuth bearer token): the profile, Zaps with their steps (actions
and authentications expanded), the authentications of each app the Zaps use, and Zap runs in the
window, paced under 60 requests a minute. Endpoints, scopes and shapes: docs/platforms.md (Zapier).
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from generator.config import PlatformConfig
from generator.connectors.base import (
    NORMALISE_ERRORS,
    Collected,
    Progress,
    SyncContext,
    api_client,
    check_document,
    not_documented,
    optional,
    parse_time,
)
from generator.connectors.http import AccessDenied, ApiClient, PlatformError, unwrap_one
from generator.connectors.runs import RunAggregator
from generator.connectors.zapier.native import native_api
from generator.connectors.zapier.zap import PLATFORM, RUN_STATUS, ZapInfo, ZapStep, normalise, numeric_id, secret_refs
from generator.model import Credential, NotCollected, PlatformFacts, User, Workflow
from generator.platforms import SPECS
from generator.redact import Redacted, redact_document
from generator.store.exports import export_file

SPEC = SPECS[PLATFORM]
PAGE = 100


def steps_from_api(zap: dict, apps: dict[str, str]) -> list[ZapStep]:
    """The steps of one `/v2/zaps` item (actions and authentications expanded): a list, each after
    the one before."""
    steps = []
    for index, raw in enumerate(zap.get("steps") or [], 1):
        action = raw.get("action") if isinstance(raw.get("action"), dict) else {"id": raw.get("action")}
        auth = raw.get("authentication")
        auth_id = auth.get("id") if isinstance(auth, dict) else auth
        app_ref = action.get("app")
        app = apps.get(app_ref.get("id") if isinstance(app_ref, dict) else str(app_ref)) if app_ref else None
        if isinstance(app_ref, dict):
            app = app_ref.get("title") or app
        if not app and isinstance(auth, dict):
            app = re.sub(r"\s+\S+@\S+$", "", str(auth.get("title") or "")) or None
        inputs = raw.get("inputs") if isinstance(raw.get("inputs"), dict) else {}
        steps.append(ZapStep(
            id=str(index), parent=str(index - 1) if index > 1 else None, app=app or "Unknown app",
            title=str(raw.get("title") or action.get("title") or action.get("key") or f"Step {index}"),
            operation=action.get("title") or action.get("key"),
            type_of=str(action.get("action_type") or ("READ" if index == 1 else "WRITE")).lower(),
            trigger=index == 1, action=str(action.get("key") or ""), auth=str(auth_id) if auth_id else None,
            inputs=inputs, instant=action.get("is_instant"),
        ))
    return steps


def zap_from_api(document: Redacted, apps: dict[str, str]) -> Workflow:
    """One `/v2/zaps` item (steps expanded), redacted, → Workflow."""
    if not isinstance(document, Redacted):
        raise TypeError("zap_from_api() takes redact_document(raw): nothing reads a raw Zap")
    zap = document.tree
    # The number inside a v2 id is the Zap's id everywhere else (runs, the editor, the account export):
    # using it keeps a Zap's ref the same whether it was synced or imported.
    number = numeric_id(str(zap["id"]))
    info = ZapInfo(id=str(number) if number is not None else str(zap["id"]), title=str(zap.get("title") or zap.get("id")),
                   active=bool(zap.get("is_enabled")), updated=parse_time(zap.get("updated_at")),
                   source_url=(zap.get("links") or {}).get("html_editor"),
                   secrets=secret_refs(document, "steps", lambda index, _: str(index + 1)))
    return normalise(info, steps_from_api(zap, apps))


class ZapierSync:
    def __init__(self, api: ApiClient, *, name: str, window_days: int, now: datetime, progress: Progress):
        self.api = api
        self.name = name
        self.window_days = window_days
        self.now = now
        self.progress = progress
        self.skipped: list[NotCollected] = []

    def _optional(self, section: str, scope: str, fetch, default=None):
        return optional(self.skipped, section, scope, fetch, spec=SPEC, generic=("scope",), default=default)

    def _raw(self, path: str, params: dict, label: str):
        """The items of a linked list as the platform gave them: each is redacted before it is read."""
        return self.api.link(path, params, limit=PAGE, on_page=self.progress(label, None))

    def _documents(self, path: str, params: dict, label: str):
        """The items of a linked list, each redacted as the document it is (the one boundary)."""
        for item in self._raw(path, params, label):
            yield redact_document(item)

    def _pages(self, path: str, params: dict, label: str):
        return (document.tree for document in self._documents(path, params, label))

    def collect(self) -> Collected:
        profile = self._optional("profile", "profile", lambda: redact_document(
            unwrap_one(self.api.get("/v1/profiles/me"))).tree, {}) or {}
        expand = {"expand": "steps.action,steps.authentication"}
        try:
            try:
                documents = list(self._raw("/v2/zaps", dict(expand, include_shared="true"), "zaps"))
            except AccessDenied:  # shared Zaps need zap:account:all; the user's own need zap:all
                self.skipped.append(NotCollected(section="shared Zaps", reason="the token lacks zap:account:all"))
                documents = list(self._raw("/v2/zaps", expand, "zaps"))
        except AccessDenied as exc:
            raise PlatformError(f"{exc}: the token cannot read Zaps", exc.status,
                                f"authorise with at least: {', '.join(SPEC.key_scopes)}") from None
        zaps = documents
        app_ids = sorted({s["action"].get("app") if not isinstance(s["action"].get("app"), dict)
                          else s["action"]["app"].get("id") for z in zaps if isinstance(z, dict)
                          for s in (z.get("steps") if isinstance(z.get("steps"), list) else [])
                          if isinstance(s, dict) and isinstance(s.get("action"), dict)} - {None})
        app_ids = [str(a) for a in app_ids if isinstance(a, (str, int))]
        apps = self._optional("apps", "zap", lambda: {a["id"]: a.get("title") for a in self._pages(
            "/v2/apps", {"ids": ",".join(app_ids)}, "apps")}, {}) if app_ids else {}
        workflows, exports, failed, read = [], {}, [], []
        for zap in zaps:  # one Zap that cannot be read never stops the others
            if not isinstance(zap, dict):
                failed.append(not_documented("zapier:?", None, ValueError("not a Zap object")))
                continue
            try:
                check_document(zap, "its definition")
                document = redact_document(zap)  # the one boundary, per Zap
                workflow = zap_from_api(document, apps or {})
                exports[workflow.id] = export_file(native_api(document))
            except NORMALISE_ERRORS as exc:
                failed.append(not_documented(f"zapier:{zap.get('id')}", zap.get("title"), exc))
                continue
            workflows.append(workflow)
            read.append(document.tree)

        credentials: dict[str, Credential] = {}
        for app in app_ids:
            for auth in self._optional("authentications", "authentication", lambda a=app: list(self._pages(
                    "/v2/authentications", {"app": a}, "authentications")), []) or []:
                credentials[str(auth["id"])] = self._credential(auth, apps or {}, profile)
            if any(n.section == "authentications" for n in self.skipped):
                break
        for zap in read:  # authentications shown expanded on steps but not listed (shared ones)
            for step in zap.get("steps") or []:
                auth = step.get("authentication")
                if isinstance(auth, dict) and str(auth.get("id")) not in credentials:
                    credentials[str(auth["id"])] = self._credential(auth, apps or {}, None)

        runs, unmatched = self._optional("run statistics", "zap:runs", lambda: self._runs(workflows), (None, {}))
        if unmatched:
            self.skipped.append(NotCollected(
                section="run statistics (part)",
                reason=f"{sum(unmatched.values())} runs of {len(unmatched)} Zap id(s) could not be matched to a Zap "
                       f"({', '.join(str(z) for z in sorted(unmatched)[:5])}{'…' if len(unmatched) > 5 else ''})"))
        users = []
        if profile:
            users.append(User(platform=PLATFORM, name=str(profile.get("full_name") or profile.get("email") or "?"),
                              email=profile.get("email"), role="owner of the synced token"))
        settings: dict[str, str | int | bool] = {"Zaps": len(workflows), "Zaps on": sum(w.active for w in workflows)}
        if profile.get("timezone"):
            settings["time zone"] = str(profile["timezone"])
        facts = PlatformFacts(platform=PLATFORM, name=self.name, url="https://zapier.com", synced=self.now,
                              source="api", settings=settings, not_collected=self.skipped, key_scopes=list(SPEC.key_scopes),
                              not_documented=failed)
        return Collected(facts=facts, workflows=workflows, credentials=list(credentials.values()),
                         users=users or None, runs=runs, replace_all=True, exports=exports,
                         credentials_from_steps=any(n.section == "authentications" for n in self.skipped))

    @staticmethod
    def _credential(auth: dict, apps: dict, profile: dict | None) -> Credential:
        app_ref = auth.get("app")
        app = apps.get(app_ref.get("id") if isinstance(app_ref, dict) else str(app_ref)) or \
            re.sub(r"\s+\S+@\S+$", "", str(auth.get("title") or "")) or "?"
        account = re.search(r"\S+@\S+", str(auth.get("title") or ""))
        return Credential(platform=PLATFORM, id=str(auth["id"]), name=str(auth.get("title") or auth["id"]), app=app,
                          owner=account.group(0) if account else (profile or {}).get("email"),
                          expires=None, type="expired" if auth.get("is_expired") else None)

    def _runs(self, workflows: list[Workflow]) -> tuple[RunAggregator, dict[int, int]]:
        start = self.now - timedelta(days=self.window_days)
        runs = RunAggregator(start, self.now)
        by_number = {n: w for w in workflows if (n := numeric_id(w.id)) is not None}
        titles: dict[str, list[Workflow]] = {}
        for w in workflows:
            titles.setdefault(w.name, []).append(w)
        unmatched: dict[int, int] = {}
        params = {"from_date": start.strftime("%Y-%m-%dT%H:%M:%SZ"), "to_date": self.now.strftime("%Y-%m-%dT%H:%M:%SZ")}
        for item in self._pages("/v2/zap-runs", params, "Zap runs"):
            workflow = by_number.get(int(item["zap_id"])) if str(item.get("zap_id", "")).isdigit() else None
            if workflow is None and len(titles.get(str(item.get("zap_title")), [])) == 1:
                workflow = titles[str(item["zap_title"])][0]  # same title, only one such Zap
            if workflow is None:
                key = int(item["zap_id"]) if str(item.get("zap_id", "")).isdigit() else -1
                unmatched[key] = unmatched.get(key, 0) + 1
                continue
            status = RUN_STATUS.get(str(item.get("status")), "unknown")
            started = parse_time(item.get("start_time"))
            runs.add(workflow.ref, status, started, parse_time(item.get("end_time")))
            if status == "failed":
                failing = next((i for i, s in enumerate(item.get("steps") or [], 1)
                                if str(s.get("status")) in ("error", "halted")), None)
                step = workflow.step(str(failing)) if failing else None
                runs.add_error(workflow.ref, f"{item.get('status')} at step {failing}" if failing
                               else str(item.get("status")), step.name if step else None, started)
        return runs, unmatched



def sync(platform: PlatformConfig, key: str, ctx: SyncContext) -> Collected:
    base = (platform.base_url or "https://api.zapier.com").rstrip("/")
    with api_client(SPEC, base, {"Authorization": f"Bearer {key}", "Accept": "application/json"}, platform,
                    ctx) as api:
        result = ZapierSync(api, name=platform.name, window_days=platform.window_days, now=ctx.now,
                            progress=ctx.progress).collect()
        result.requests, result.throttled = api.requests, api.throttled
        return result
