//! The Agentic AI curriculum: the same rows as the baseline migration
//! `20241229000002_seed_agentic_ai_curriculum.sql`. Ids are `PREFIX-0001-0001-0001-<n>`
//! with `n` in decimal digits; positions are 1-based within the parent.
// Generated once together with the migration; both are frozen.

/// (slug, title, description)
pub const TRAILS: [(&str, &str, &str); 3] = [
    (
        "foundations",
        "Foundations of Agents",
        "What an agent is and how a language model becomes one.",
    ),
    (
        "tools-and-memory",
        "Tools, Memory and Planning",
        "Giving agents hands, memory and foresight.",
    ),
    (
        "systems-in-production",
        "Multi-Agent Systems in Production",
        "Coordinating agents and running them safely.",
    ),
];

/// (trail index, slug, title, summary)
pub const CONCEPTS: [(usize, &str, &str, &str); 12] = [
    (
        0,
        "what-is-an-agent",
        "What Is an Agent",
        "Goals, autonomy and the environment an agent acts in.",
    ),
    (
        0,
        "perception-action-loop",
        "The Perception-Action Loop",
        "Observe, decide, act, and observe again.",
    ),
    (
        0,
        "llm-as-reasoner",
        "The LLM as Reasoner",
        "Using a language model to choose the next action.",
    ),
    (
        0,
        "prompting-for-agents",
        "Prompting for Agents",
        "System prompts, scratchpads and structured outputs.",
    ),
    (
        1,
        "tool-calling",
        "Tool Calling",
        "Typed tool interfaces and how models invoke them.",
    ),
    (
        1,
        "retrieval-augmented-generation",
        "Retrieval-Augmented Generation",
        "Grounding answers in retrieved documents.",
    ),
    (
        1,
        "memory-architectures",
        "Memory Architectures",
        "Working, episodic and semantic memory for agents.",
    ),
    (
        1,
        "planning-strategies",
        "Planning Strategies",
        "Plan-and-execute, ReAct and tree search.",
    ),
    (
        2,
        "agent-orchestration",
        "Agent Orchestration",
        "Orchestrators, workers and hand-offs.",
    ),
    (
        2,
        "agent-communication",
        "Agent Communication",
        "Messages, shared state and protocols between agents.",
    ),
    (
        2,
        "evaluation-and-guardrails",
        "Evaluation and Guardrails",
        "Measuring agents and keeping them within bounds.",
    ),
    (
        2,
        "deploying-agents",
        "Deploying Agents",
        "Observability, cost control and rollout.",
    ),
];

/// (concept index, prerequisite concept index)
pub const PREREQUISITES: [(usize, usize); 11] = [
    (1, 0),
    (2, 1),
    (3, 2),
    (5, 4),
    (6, 5),
    (7, 6),
    (9, 8),
    (10, 9),
    (11, 10),
    (4, 2),
    (8, 7),
];

/// (concept index, slug, title, body, estimated minutes)
pub const SPARKS: [(usize, &str, &str, &str, i64); 18] = [
    (
        0,
        "what-is-an-agent-introduction",
        "What Is an Agent: Introduction",
        "Goals, autonomy and the environment an agent acts in. (introduction)",
        6,
    ),
    (
        0,
        "what-is-an-agent-in-practice",
        "What Is an Agent: In Practice",
        "Goals, autonomy and the environment an agent acts in. (in practice)",
        8,
    ),
    (
        1,
        "perception-action-loop-introduction",
        "The Perception-Action Loop: Introduction",
        "Observe, decide, act, and observe again. (introduction)",
        5,
    ),
    (
        1,
        "perception-action-loop-in-practice",
        "The Perception-Action Loop: In Practice",
        "Observe, decide, act, and observe again. (in practice)",
        10,
    ),
    (
        2,
        "llm-as-reasoner-essentials",
        "The LLM as Reasoner: Essentials",
        "Using a language model to choose the next action. (essentials)",
        7,
    ),
    (
        3,
        "prompting-for-agents-essentials",
        "Prompting for Agents: Essentials",
        "System prompts, scratchpads and structured outputs. (essentials)",
        9,
    ),
    (
        4,
        "tool-calling-introduction",
        "Tool Calling: Introduction",
        "Typed tool interfaces and how models invoke them. (introduction)",
        6,
    ),
    (
        4,
        "tool-calling-in-practice",
        "Tool Calling: In Practice",
        "Typed tool interfaces and how models invoke them. (in practice)",
        8,
    ),
    (
        5,
        "retrieval-augmented-generation-introduction",
        "Retrieval-Augmented Generation: Introduction",
        "Grounding answers in retrieved documents. (introduction)",
        5,
    ),
    (
        5,
        "retrieval-augmented-generation-in-practice",
        "Retrieval-Augmented Generation: In Practice",
        "Grounding answers in retrieved documents. (in practice)",
        10,
    ),
    (
        6,
        "memory-architectures-essentials",
        "Memory Architectures: Essentials",
        "Working, episodic and semantic memory for agents. (essentials)",
        7,
    ),
    (
        7,
        "planning-strategies-essentials",
        "Planning Strategies: Essentials",
        "Plan-and-execute, ReAct and tree search. (essentials)",
        9,
    ),
    (
        8,
        "agent-orchestration-introduction",
        "Agent Orchestration: Introduction",
        "Orchestrators, workers and hand-offs. (introduction)",
        6,
    ),
    (
        8,
        "agent-orchestration-in-practice",
        "Agent Orchestration: In Practice",
        "Orchestrators, workers and hand-offs. (in practice)",
        8,
    ),
    (
        9,
        "agent-communication-introduction",
        "Agent Communication: Introduction",
        "Messages, shared state and protocols between agents. (introduction)",
        5,
    ),
    (
        9,
        "agent-communication-in-practice",
        "Agent Communication: In Practice",
        "Messages, shared state and protocols between agents. (in practice)",
        10,
    ),
    (
        10,
        "evaluation-and-guardrails-essentials",
        "Evaluation and Guardrails: Essentials",
        "Measuring agents and keeping them within bounds. (essentials)",
        7,
    ),
    (
        11,
        "deploying-agents-essentials",
        "Deploying Agents: Essentials",
        "Observability, cost control and rollout. (essentials)",
        9,
    ),
];

/// (spark index, slug, title, prompt, kind)
pub const BEACONS: [(usize, &str, &str, &str, &str); 18] = [
    (
        0,
        "what-is-an-agent-introduction-check",
        "Check: What Is an Agent: Introduction",
        "Explain in your own words: what is an agent: introduction.",
        "quiz",
    ),
    (
        1,
        "what-is-an-agent-in-practice-check",
        "Check: What Is an Agent: In Practice",
        "Explain in your own words: what is an agent: in practice.",
        "reflection",
    ),
    (
        2,
        "perception-action-loop-introduction-check",
        "Check: The Perception-Action Loop: Introduction",
        "Explain in your own words: the perception-action loop: introduction.",
        "exercise",
    ),
    (
        3,
        "perception-action-loop-in-practice-check",
        "Check: The Perception-Action Loop: In Practice",
        "Explain in your own words: the perception-action loop: in practice.",
        "quiz",
    ),
    (
        4,
        "llm-as-reasoner-essentials-check",
        "Check: The LLM as Reasoner: Essentials",
        "Explain in your own words: the llm as reasoner: essentials.",
        "reflection",
    ),
    (
        5,
        "prompting-for-agents-essentials-check",
        "Check: Prompting for Agents: Essentials",
        "Explain in your own words: prompting for agents: essentials.",
        "exercise",
    ),
    (
        6,
        "tool-calling-introduction-check",
        "Check: Tool Calling: Introduction",
        "Explain in your own words: tool calling: introduction.",
        "quiz",
    ),
    (
        7,
        "tool-calling-in-practice-check",
        "Check: Tool Calling: In Practice",
        "Explain in your own words: tool calling: in practice.",
        "reflection",
    ),
    (
        8,
        "retrieval-augmented-generation-introduction-check",
        "Check: Retrieval-Augmented Generation: Introduction",
        "Explain in your own words: retrieval-augmented generation: introduction.",
        "exercise",
    ),
    (
        9,
        "retrieval-augmented-generation-in-practice-check",
        "Check: Retrieval-Augmented Generation: In Practice",
        "Explain in your own words: retrieval-augmented generation: in practice.",
        "quiz",
    ),
    (
        10,
        "memory-architectures-essentials-check",
        "Check: Memory Architectures: Essentials",
        "Explain in your own words: memory architectures: essentials.",
        "reflection",
    ),
    (
        11,
        "planning-strategies-essentials-check",
        "Check: Planning Strategies: Essentials",
        "Explain in your own words: planning strategies: essentials.",
        "exercise",
    ),
    (
        12,
        "agent-orchestration-introduction-check",
        "Check: Agent Orchestration: Introduction",
        "Explain in your own words: agent orchestration: introduction.",
        "quiz",
    ),
    (
        13,
        "agent-orchestration-in-practice-check",
        "Check: Agent Orchestration: In Practice",
        "Explain in your own words: agent orchestration: in practice.",
        "reflection",
    ),
    (
        14,
        "agent-communication-introduction-check",
        "Check: Agent Communication: Introduction",
        "Explain in your own words: agent communication: introduction.",
        "exercise",
    ),
    (
        15,
        "agent-communication-in-practice-check",
        "Check: Agent Communication: In Practice",
        "Explain in your own words: agent communication: in practice.",
        "quiz",
    ),
    (
        16,
        "evaluation-and-guardrails-essentials-check",
        "Check: Evaluation and Guardrails: Essentials",
        "Explain in your own words: evaluation and guardrails: essentials.",
        "reflection",
    ),
    (
        17,
        "deploying-agents-essentials-check",
        "Check: Deploying Agents: Essentials",
        "Explain in your own words: deploying agents: essentials.",
        "exercise",
    ),
];
