-- Stored drafts name an escalation's type as every other view of a signal does: `escalation_type`
-- (it was `type` on the draft's escalation and on each of its other open escalations).

UPDATE escalation_responses
   SET draft = jsonb_set(draft #- '{escalation,type}', '{escalation,escalation_type}', draft -> 'escalation' -> 'type')
 WHERE draft -> 'escalation' ? 'type';

UPDATE escalation_responses
   SET draft = jsonb_set(draft, '{other_open_escalations}', (
       SELECT coalesce(jsonb_agg(CASE WHEN e ? 'type'
                                      THEN (e - 'type') || jsonb_build_object('escalation_type', e -> 'type')
                                      ELSE e END ORDER BY n), '[]'::jsonb)
         FROM jsonb_array_elements(draft -> 'other_open_escalations') WITH ORDINALITY AS x(e, n)))
 WHERE jsonb_typeof(draft -> 'other_open_escalations') = 'array'
   AND EXISTS (SELECT 1 FROM jsonb_array_elements(draft -> 'other_open_escalations') AS o(e) WHERE e ? 'type');
