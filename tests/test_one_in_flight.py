"""The page's one-question-in-flight rule for the pad's ink (web/page/one_in_flight.js, used by the
live prediction and the explanation), run in Node with a worker that answers when told: a
question asked while one is in flight is not sent, the asker is asked again exactly once when that
one is done however often it asked meanwhile, and an answer to a question asked before forget()
is not current. Would catch a second question sent while one is in flight (the worker queued up
with stale ink), the last ink never answered, one ask again per stroke frame, or an answer shown
after the pad was cleared."""

from __future__ import annotations

import pytest
from node_script import module_specifier, run_module_script

pytestmark = pytest.mark.native  # runs node: not for the in-Pyodide run

SCRIPT = """
import { OneInFlight } from %(module)s;
const out = { sent: 0, askedAgain: 0, current: [] };
const answers = [];  // resolvers of the questions in flight, answered when the script says
const asking = new OneInFlight(() => { out.askedAgain += 1; });
const ask = (isCurrent) => new Promise((resolve) => {
  out.sent += 1;
  answers.push(() => { out.current.push(isCurrent()); resolve(); });
});
const first = asking.run(ask);
asking.run(ask);
asking.run(ask);
asking.run(ask);
out.sentWhileInFlight = out.sent;
answers.shift()();
await first;
out.askedAgainAfterFirst = out.askedAgain;
const second = asking.run(ask);
asking.forget();
answers.shift()();
await second;
out.askedAgainAfterSecond = out.askedAgain;
const third = asking.run(ask);
answers.shift()();
await third;
console.log(JSON.stringify(out));
"""


@pytest.fixture(scope="module")
def run() -> dict:
    return run_module_script(SCRIPT % {"module": module_specifier("page/one_in_flight.js")})


def test_a_question_asked_while_one_is_in_flight_is_not_sent(run):
    assert run["sentWhileInFlight"] == 1
    assert run["sent"] == 3  # the first, then one each for the second and third runs


def test_the_asker_is_asked_again_once_however_often_it_asked_meanwhile(run):
    assert run["askedAgainAfterFirst"] == 1
    assert run["askedAgainAfterSecond"] == 1  # nothing asked while the second was in flight


def test_an_answer_to_a_question_asked_before_forget_is_not_current(run):
    assert run["current"] == [True, False, True]
