//! One step of the conversation: what the citizen said, a no-reply timer, or staff.

use jiff::Timestamp;
use serde_json::json;

use super::citizen::citizen;
use super::{Context, Effect, Event, Handover, NotNow, Reply, State, Step, ask_rating, say, say_with};
use crate::queues::NoReply;

/// One transition. Staff events on a conversation that is not theirs are refused.
pub fn step(state: &State, event: &Event<'_>, ctx: &Context<'_>) -> Result<Step, NotNow> {
    match event {
        Event::Said(said) => Ok(citizen(state, said, ctx)),
        Event::Timer { asked_at, stage } => Ok(timer(state, *asked_at, *stage, ctx)),
        Event::AgentTakes { agent } => match state {
            State::WaitingForAgent { .. } => Ok(Step::to(
                State::WithAgent { agent: (*agent).to_owned(), replied_at: None, nudged: false },
                vec![say_with("agent_joined", json!({ "agent": agent }))],
            )),
            other => Err(NotNow(format!("the conversation is {}, not waiting for staff", other.name()))),
        },
        // The citizen's silence counts from the latest reply: its timers replace the earlier one's.
        Event::AgentReplies { agent, text } => match state {
            State::WithAgent { agent: holder, replied_at, .. } if holder == agent => {
                let replied = State::WithAgent { agent: holder.clone(), replied_at: Some(ctx.now), nudged: false };
                let mut effects: Vec<Effect> = replied_at
                    .map(|at| Effect::CancelTimers { asked_at: at, stages: NoReply::AGENT })
                    .into_iter()
                    .collect();
                effects.push(Effect::StartTimer { asked_at: ctx.now, stage: NoReply::Nudge });
                Ok(Step::to(replied, vec![Reply::Staff { text: (*text).to_owned() }]).with(effects))
            }
            other => Err(NotNow(format!("the conversation is {}, not with {agent}", other.name()))),
        },
        Event::AgentResolves { agent } => match state {
            State::WithAgent { agent: holder, replied_at, .. } if holder == agent => {
                let cancel = replied_at.map(|at| Effect::CancelTimers { asked_at: at, stages: NoReply::AGENT });
                Ok(ask_rating(holder, "resolved", ctx).with(cancel.into_iter().collect()))
            }
            other => Err(NotNow(format!("the conversation is {}, not with {agent}", other.name()))),
        },
        // The citizen's silence timers were the agent's: they go with them.
        Event::AgentTransfers { agent, to } => match state {
            State::WithAgent { agent: holder, replied_at, .. } if holder == agent => {
                let mut effects: Vec<Effect> = replied_at
                    .map(|at| Effect::CancelTimers { asked_at: at, stages: NoReply::AGENT })
                    .into_iter()
                    .collect();
                match to {
                    Handover::Team(team) => {
                        effects.push(Effect::SetTeam((*team).to_owned()));
                        let waiting = State::WaitingForAgent { since: ctx.now };
                        Ok(Step::to(waiting, vec![say("still_waiting")]).with(effects))
                    }
                    Handover::Colleague(colleague) if colleague == agent => {
                        Err(NotNow(format!("the conversation is with {agent} already")))
                    }
                    Handover::Colleague(colleague) => {
                        let with = State::WithAgent { agent: (*colleague).to_owned(), replied_at: None, nudged: false };
                        Ok(Step::to(with, vec![say_with("agent_joined", json!({ "agent": colleague }))]).with(effects))
                    }
                }
            }
            other => Err(NotNow(format!("the conversation is {}, not with {agent}", other.name()))),
        },
    }
}

fn timer(state: &State, fired_for: Timestamp, which: NoReply, ctx: &Context<'_>) -> Step {
    match (state, which) {
        (State::AskingName { asked_at, recontacted: false }, NoReply::Recontact) if *asked_at == fired_for => {
            Step::to(State::AskingName { asked_at: *asked_at, recontacted: true }, vec![say("recontact")])
                .with(vec![Effect::StartTimer { asked_at: *asked_at, stage: NoReply::Close }])
        }
        (State::AskingName { asked_at, recontacted: true }, NoReply::Close) if *asked_at == fired_for => {
            Step::to(State::Closed, vec![say("closed_no_reply")])
        }
        (State::WithAgent { agent, replied_at: Some(at), nudged: false }, NoReply::Nudge) if *at == fired_for => {
            let nudged = State::WithAgent { agent: agent.clone(), replied_at: Some(*at), nudged: true };
            Step::to(nudged, vec![say("nudge")]).with(vec![Effect::StartTimer { asked_at: *at, stage: NoReply::Quiet }])
        }
        (State::WithAgent { agent, replied_at: Some(at), nudged: true }, NoReply::Quiet) if *at == fired_for => {
            ask_rating(agent, "closed_quiet", ctx)
        }
        // Answered meanwhile, or a timer of an earlier question: nothing to do.
        _ => Step::to(state.clone(), Vec::new()),
    }
}
