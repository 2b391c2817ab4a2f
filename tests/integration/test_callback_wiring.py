"""suppress_callback_exceptions=False and a validation layout: a callback wired to an id or a
property that no page has fails when the app starts (layouts/wiring.py), not in a browser."""

from __future__ import annotations

import pytest
from dash import ALL, Input, Output

from app import get_dash
from layouts.wiring import CallbackWiringError, check_wiring, wiring_problems
from tests.conftest import create_test_app


@pytest.fixture
def dash_app():  # noqa: ANN201 - a fresh app per test: the tests add callbacks to it
    return get_dash(create_test_app())


def test_every_callback_of_the_product_is_wired(dash_app):
    assert dash_app.config.suppress_callback_exceptions is False
    assert dash_app.validation_layout is not None
    assert wiring_problems(dash_app) == []


def test_every_callback_of_the_demo_is_wired():
    from demo.app import create_demo_app

    demo = create_demo_app()  # check_wiring runs inside: a problem raises here
    assert demo.config.suppress_callback_exceptions is False
    assert wiring_problems(demo) == []


def test_a_mistyped_id_fails_loudly(dash_app):
    @dash_app.callback(Output("ov-toastz", "children"), Input("url", "pathname"))
    def typo(_path: str) -> str:
        return ""

    with pytest.raises(CallbackWiringError, match="ov-toastz.children: no component"):
        check_wiring(dash_app)


def test_a_mistyped_input_or_state_id_fails_too(dash_app):
    @dash_app.callback(Output("ov-toasts", "children"), Input("urll", "pathname"))
    def typo(_path: str) -> str:
        return ""

    with pytest.raises(CallbackWiringError, match="input urll.pathname"):
        check_wiring(dash_app)


def test_a_property_the_component_lacks_fails(dash_app):
    @dash_app.callback(Output("ov-toasts", "childern"), Input("url", "pathname"))
    def typo(_path: str) -> str:
        return ""

    with pytest.raises(CallbackWiringError, match="no property 'childern'"):
        check_wiring(dash_app)


def test_a_pattern_matching_id_with_a_wrong_key_fails(dash_app):
    @dash_app.callback(
        Output("ov-toasts", "children"),
        Input({"type": "action-btn", "action": ALL, "choice": ALL}, "n_clicks"),
    )
    def typo(_clicks: list) -> str:
        return ""

    with pytest.raises(CallbackWiringError, match="action-btn"):
        check_wiring(dash_app)


def test_the_browser_gets_the_validation_layout(app, client):
    """With suppress_callback_exceptions=False Dash ships the validation layout in the page's
    config, and dash-renderer checks each callback against it too."""
    from tests.conftest import login, make_org

    ids = make_org(app, "Wired", "wired@example.com")
    login(client, ids["email"])
    html = client.get("/").get_data(as_text=True)
    assert '"suppress_callback_exceptions":false' in html
    assert '"validation_layout":' in html
