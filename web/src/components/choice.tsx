/** A labelled select; with `any`, a first empty option means "any" (a filter left open). */
export function Choice(props: {
  label: string;
  value: string;
  onChange: (e: { target: { value: string } }) => void;
  options: readonly string[];
  show?: (value: string) => string;
  any?: boolean;
}) {
  const show = props.show ?? ((value: string) => value);
  return (
    <label>
      {props.label}
      <select value={props.value} onChange={props.onChange}>
        {props.any ? <option value="">any</option> : null}
        {props.options.map((o) => (
          <option key={o} value={o}>
            {show(o)}
          </option>
        ))}
      </select>
    </label>
  );
}
