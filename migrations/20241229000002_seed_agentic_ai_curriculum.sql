-- The canonical Agentic AI curriculum: the one migration that seeds content.
-- It is the baseline every environment starts from and never changes; the
-- curriculum plugin writes exactly these rows (it finds them unchanged here).
-- 1 domain, 3 trails, 12 concepts, 18 sparks, 18 beacons, 11 prerequisite links,
-- 1 published snapshot.

INSERT INTO content_snapshots (id, version, status, description, published_at) VALUES
    ('66666666-0001-0001-0001-000000000001', 1, 'published', 'Initial Agentic AI curriculum', '2024-12-29T00:00:00Z');

INSERT INTO domains (id, snapshot_id, slug, title, description, position) VALUES
    ('11111111-0001-0001-0001-000000000001', '66666666-0001-0001-0001-000000000001', 'agentic-ai', 'Agentic AI', 'Design, build and run AI agents.', 1);

INSERT INTO trails (id, snapshot_id, domain_id, slug, title, description, position) VALUES
    ('22222222-0001-0001-0001-000000000001', '66666666-0001-0001-0001-000000000001', '11111111-0001-0001-0001-000000000001', 'foundations', 'Foundations of Agents', 'What an agent is and how a language model becomes one.', 1),
    ('22222222-0001-0001-0001-000000000002', '66666666-0001-0001-0001-000000000001', '11111111-0001-0001-0001-000000000001', 'tools-and-memory', 'Tools, Memory and Planning', 'Giving agents hands, memory and foresight.', 2),
    ('22222222-0001-0001-0001-000000000003', '66666666-0001-0001-0001-000000000001', '11111111-0001-0001-0001-000000000001', 'systems-in-production', 'Multi-Agent Systems in Production', 'Coordinating agents and running them safely.', 3);

INSERT INTO concepts (id, snapshot_id, trail_id, slug, title, summary, position) VALUES
    ('33333333-0001-0001-0001-000000000001', '66666666-0001-0001-0001-000000000001', '22222222-0001-0001-0001-000000000001', 'what-is-an-agent', 'What Is an Agent', 'Goals, autonomy and the environment an agent acts in.', 1),
    ('33333333-0001-0001-0001-000000000002', '66666666-0001-0001-0001-000000000001', '22222222-0001-0001-0001-000000000001', 'perception-action-loop', 'The Perception-Action Loop', 'Observe, decide, act, and observe again.', 2),
    ('33333333-0001-0001-0001-000000000003', '66666666-0001-0001-0001-000000000001', '22222222-0001-0001-0001-000000000001', 'llm-as-reasoner', 'The LLM as Reasoner', 'Using a language model to choose the next action.', 3),
    ('33333333-0001-0001-0001-000000000004', '66666666-0001-0001-0001-000000000001', '22222222-0001-0001-0001-000000000001', 'prompting-for-agents', 'Prompting for Agents', 'System prompts, scratchpads and structured outputs.', 4),
    ('33333333-0001-0001-0001-000000000005', '66666666-0001-0001-0001-000000000001', '22222222-0001-0001-0001-000000000002', 'tool-calling', 'Tool Calling', 'Typed tool interfaces and how models invoke them.', 1),
    ('33333333-0001-0001-0001-000000000006', '66666666-0001-0001-0001-000000000001', '22222222-0001-0001-0001-000000000002', 'retrieval-augmented-generation', 'Retrieval-Augmented Generation', 'Grounding answers in retrieved documents.', 2),
    ('33333333-0001-0001-0001-000000000007', '66666666-0001-0001-0001-000000000001', '22222222-0001-0001-0001-000000000002', 'memory-architectures', 'Memory Architectures', 'Working, episodic and semantic memory for agents.', 3),
    ('33333333-0001-0001-0001-000000000008', '66666666-0001-0001-0001-000000000001', '22222222-0001-0001-0001-000000000002', 'planning-strategies', 'Planning Strategies', 'Plan-and-execute, ReAct and tree search.', 4),
    ('33333333-0001-0001-0001-000000000009', '66666666-0001-0001-0001-000000000001', '22222222-0001-0001-0001-000000000003', 'agent-orchestration', 'Agent Orchestration', 'Orchestrators, workers and hand-offs.', 1),
    ('33333333-0001-0001-0001-000000000010', '66666666-0001-0001-0001-000000000001', '22222222-0001-0001-0001-000000000003', 'agent-communication', 'Agent Communication', 'Messages, shared state and protocols between agents.', 2),
    ('33333333-0001-0001-0001-000000000011', '66666666-0001-0001-0001-000000000001', '22222222-0001-0001-0001-000000000003', 'evaluation-and-guardrails', 'Evaluation and Guardrails', 'Measuring agents and keeping them within bounds.', 3),
    ('33333333-0001-0001-0001-000000000012', '66666666-0001-0001-0001-000000000001', '22222222-0001-0001-0001-000000000003', 'deploying-agents', 'Deploying Agents', 'Observability, cost control and rollout.', 4);

INSERT INTO concept_prerequisites (concept_id, prerequisite_id) VALUES
    ('33333333-0001-0001-0001-000000000002', '33333333-0001-0001-0001-000000000001'),
    ('33333333-0001-0001-0001-000000000003', '33333333-0001-0001-0001-000000000002'),
    ('33333333-0001-0001-0001-000000000004', '33333333-0001-0001-0001-000000000003'),
    ('33333333-0001-0001-0001-000000000006', '33333333-0001-0001-0001-000000000005'),
    ('33333333-0001-0001-0001-000000000007', '33333333-0001-0001-0001-000000000006'),
    ('33333333-0001-0001-0001-000000000008', '33333333-0001-0001-0001-000000000007'),
    ('33333333-0001-0001-0001-000000000010', '33333333-0001-0001-0001-000000000009'),
    ('33333333-0001-0001-0001-000000000011', '33333333-0001-0001-0001-000000000010'),
    ('33333333-0001-0001-0001-000000000012', '33333333-0001-0001-0001-000000000011'),
    ('33333333-0001-0001-0001-000000000005', '33333333-0001-0001-0001-000000000003'),
    ('33333333-0001-0001-0001-000000000009', '33333333-0001-0001-0001-000000000008');

INSERT INTO sparks (id, snapshot_id, concept_id, slug, title, body, estimated_minutes, position) VALUES
    ('44444444-0001-0001-0001-000000000001', '66666666-0001-0001-0001-000000000001', '33333333-0001-0001-0001-000000000001', 'what-is-an-agent-introduction', 'What Is an Agent: Introduction', 'Goals, autonomy and the environment an agent acts in. (introduction)', 6, 1),
    ('44444444-0001-0001-0001-000000000002', '66666666-0001-0001-0001-000000000001', '33333333-0001-0001-0001-000000000001', 'what-is-an-agent-in-practice', 'What Is an Agent: In Practice', 'Goals, autonomy and the environment an agent acts in. (in practice)', 8, 2),
    ('44444444-0001-0001-0001-000000000003', '66666666-0001-0001-0001-000000000001', '33333333-0001-0001-0001-000000000002', 'perception-action-loop-introduction', 'The Perception-Action Loop: Introduction', 'Observe, decide, act, and observe again. (introduction)', 5, 1),
    ('44444444-0001-0001-0001-000000000004', '66666666-0001-0001-0001-000000000001', '33333333-0001-0001-0001-000000000002', 'perception-action-loop-in-practice', 'The Perception-Action Loop: In Practice', 'Observe, decide, act, and observe again. (in practice)', 10, 2),
    ('44444444-0001-0001-0001-000000000005', '66666666-0001-0001-0001-000000000001', '33333333-0001-0001-0001-000000000003', 'llm-as-reasoner-essentials', 'The LLM as Reasoner: Essentials', 'Using a language model to choose the next action. (essentials)', 7, 1),
    ('44444444-0001-0001-0001-000000000006', '66666666-0001-0001-0001-000000000001', '33333333-0001-0001-0001-000000000004', 'prompting-for-agents-essentials', 'Prompting for Agents: Essentials', 'System prompts, scratchpads and structured outputs. (essentials)', 9, 1),
    ('44444444-0001-0001-0001-000000000007', '66666666-0001-0001-0001-000000000001', '33333333-0001-0001-0001-000000000005', 'tool-calling-introduction', 'Tool Calling: Introduction', 'Typed tool interfaces and how models invoke them. (introduction)', 6, 1),
    ('44444444-0001-0001-0001-000000000008', '66666666-0001-0001-0001-000000000001', '33333333-0001-0001-0001-000000000005', 'tool-calling-in-practice', 'Tool Calling: In Practice', 'Typed tool interfaces and how models invoke them. (in practice)', 8, 2),
    ('44444444-0001-0001-0001-000000000009', '66666666-0001-0001-0001-000000000001', '33333333-0001-0001-0001-000000000006', 'retrieval-augmented-generation-introduction', 'Retrieval-Augmented Generation: Introduction', 'Grounding answers in retrieved documents. (introduction)', 5, 1),
    ('44444444-0001-0001-0001-000000000010', '66666666-0001-0001-0001-000000000001', '33333333-0001-0001-0001-000000000006', 'retrieval-augmented-generation-in-practice', 'Retrieval-Augmented Generation: In Practice', 'Grounding answers in retrieved documents. (in practice)', 10, 2),
    ('44444444-0001-0001-0001-000000000011', '66666666-0001-0001-0001-000000000001', '33333333-0001-0001-0001-000000000007', 'memory-architectures-essentials', 'Memory Architectures: Essentials', 'Working, episodic and semantic memory for agents. (essentials)', 7, 1),
    ('44444444-0001-0001-0001-000000000012', '66666666-0001-0001-0001-000000000001', '33333333-0001-0001-0001-000000000008', 'planning-strategies-essentials', 'Planning Strategies: Essentials', 'Plan-and-execute, ReAct and tree search. (essentials)', 9, 1),
    ('44444444-0001-0001-0001-000000000013', '66666666-0001-0001-0001-000000000001', '33333333-0001-0001-0001-000000000009', 'agent-orchestration-introduction', 'Agent Orchestration: Introduction', 'Orchestrators, workers and hand-offs. (introduction)', 6, 1),
    ('44444444-0001-0001-0001-000000000014', '66666666-0001-0001-0001-000000000001', '33333333-0001-0001-0001-000000000009', 'agent-orchestration-in-practice', 'Agent Orchestration: In Practice', 'Orchestrators, workers and hand-offs. (in practice)', 8, 2),
    ('44444444-0001-0001-0001-000000000015', '66666666-0001-0001-0001-000000000001', '33333333-0001-0001-0001-000000000010', 'agent-communication-introduction', 'Agent Communication: Introduction', 'Messages, shared state and protocols between agents. (introduction)', 5, 1),
    ('44444444-0001-0001-0001-000000000016', '66666666-0001-0001-0001-000000000001', '33333333-0001-0001-0001-000000000010', 'agent-communication-in-practice', 'Agent Communication: In Practice', 'Messages, shared state and protocols between agents. (in practice)', 10, 2),
    ('44444444-0001-0001-0001-000000000017', '66666666-0001-0001-0001-000000000001', '33333333-0001-0001-0001-000000000011', 'evaluation-and-guardrails-essentials', 'Evaluation and Guardrails: Essentials', 'Measuring agents and keeping them within bounds. (essentials)', 7, 1),
    ('44444444-0001-0001-0001-000000000018', '66666666-0001-0001-0001-000000000001', '33333333-0001-0001-0001-000000000012', 'deploying-agents-essentials', 'Deploying Agents: Essentials', 'Observability, cost control and rollout. (essentials)', 9, 1);

INSERT INTO beacons (id, snapshot_id, spark_id, slug, title, prompt, kind) VALUES
    ('55555555-0001-0001-0001-000000000001', '66666666-0001-0001-0001-000000000001', '44444444-0001-0001-0001-000000000001', 'what-is-an-agent-introduction-check', 'Check: What Is an Agent: Introduction', 'Explain in your own words: what is an agent: introduction.', 'quiz'),
    ('55555555-0001-0001-0001-000000000002', '66666666-0001-0001-0001-000000000001', '44444444-0001-0001-0001-000000000002', 'what-is-an-agent-in-practice-check', 'Check: What Is an Agent: In Practice', 'Explain in your own words: what is an agent: in practice.', 'reflection'),
    ('55555555-0001-0001-0001-000000000003', '66666666-0001-0001-0001-000000000001', '44444444-0001-0001-0001-000000000003', 'perception-action-loop-introduction-check', 'Check: The Perception-Action Loop: Introduction', 'Explain in your own words: the perception-action loop: introduction.', 'exercise'),
    ('55555555-0001-0001-0001-000000000004', '66666666-0001-0001-0001-000000000001', '44444444-0001-0001-0001-000000000004', 'perception-action-loop-in-practice-check', 'Check: The Perception-Action Loop: In Practice', 'Explain in your own words: the perception-action loop: in practice.', 'quiz'),
    ('55555555-0001-0001-0001-000000000005', '66666666-0001-0001-0001-000000000001', '44444444-0001-0001-0001-000000000005', 'llm-as-reasoner-essentials-check', 'Check: The LLM as Reasoner: Essentials', 'Explain in your own words: the llm as reasoner: essentials.', 'reflection'),
    ('55555555-0001-0001-0001-000000000006', '66666666-0001-0001-0001-000000000001', '44444444-0001-0001-0001-000000000006', 'prompting-for-agents-essentials-check', 'Check: Prompting for Agents: Essentials', 'Explain in your own words: prompting for agents: essentials.', 'exercise'),
    ('55555555-0001-0001-0001-000000000007', '66666666-0001-0001-0001-000000000001', '44444444-0001-0001-0001-000000000007', 'tool-calling-introduction-check', 'Check: Tool Calling: Introduction', 'Explain in your own words: tool calling: introduction.', 'quiz'),
    ('55555555-0001-0001-0001-000000000008', '66666666-0001-0001-0001-000000000001', '44444444-0001-0001-0001-000000000008', 'tool-calling-in-practice-check', 'Check: Tool Calling: In Practice', 'Explain in your own words: tool calling: in practice.', 'reflection'),
    ('55555555-0001-0001-0001-000000000009', '66666666-0001-0001-0001-000000000001', '44444444-0001-0001-0001-000000000009', 'retrieval-augmented-generation-introduction-check', 'Check: Retrieval-Augmented Generation: Introduction', 'Explain in your own words: retrieval-augmented generation: introduction.', 'exercise'),
    ('55555555-0001-0001-0001-000000000010', '66666666-0001-0001-0001-000000000001', '44444444-0001-0001-0001-000000000010', 'retrieval-augmented-generation-in-practice-check', 'Check: Retrieval-Augmented Generation: In Practice', 'Explain in your own words: retrieval-augmented generation: in practice.', 'quiz'),
    ('55555555-0001-0001-0001-000000000011', '66666666-0001-0001-0001-000000000001', '44444444-0001-0001-0001-000000000011', 'memory-architectures-essentials-check', 'Check: Memory Architectures: Essentials', 'Explain in your own words: memory architectures: essentials.', 'reflection'),
    ('55555555-0001-0001-0001-000000000012', '66666666-0001-0001-0001-000000000001', '44444444-0001-0001-0001-000000000012', 'planning-strategies-essentials-check', 'Check: Planning Strategies: Essentials', 'Explain in your own words: planning strategies: essentials.', 'exercise'),
    ('55555555-0001-0001-0001-000000000013', '66666666-0001-0001-0001-000000000001', '44444444-0001-0001-0001-000000000013', 'agent-orchestration-introduction-check', 'Check: Agent Orchestration: Introduction', 'Explain in your own words: agent orchestration: introduction.', 'quiz'),
    ('55555555-0001-0001-0001-000000000014', '66666666-0001-0001-0001-000000000001', '44444444-0001-0001-0001-000000000014', 'agent-orchestration-in-practice-check', 'Check: Agent Orchestration: In Practice', 'Explain in your own words: agent orchestration: in practice.', 'reflection'),
    ('55555555-0001-0001-0001-000000000015', '66666666-0001-0001-0001-000000000001', '44444444-0001-0001-0001-000000000015', 'agent-communication-introduction-check', 'Check: Agent Communication: Introduction', 'Explain in your own words: agent communication: introduction.', 'exercise'),
    ('55555555-0001-0001-0001-000000000016', '66666666-0001-0001-0001-000000000001', '44444444-0001-0001-0001-000000000016', 'agent-communication-in-practice-check', 'Check: Agent Communication: In Practice', 'Explain in your own words: agent communication: in practice.', 'quiz'),
    ('55555555-0001-0001-0001-000000000017', '66666666-0001-0001-0001-000000000001', '44444444-0001-0001-0001-000000000017', 'evaluation-and-guardrails-essentials-check', 'Check: Evaluation and Guardrails: Essentials', 'Explain in your own words: evaluation and guardrails: essentials.', 'reflection'),
    ('55555555-0001-0001-0001-000000000018', '66666666-0001-0001-0001-000000000001', '44444444-0001-0001-0001-000000000018', 'deploying-agents-essentials-check', 'Check: Deploying Agents: Essentials', 'Explain in your own words: deploying agents: essentials.', 'exercise');
